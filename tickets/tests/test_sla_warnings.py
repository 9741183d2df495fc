"""Breach warnings: once per ticket, clock, threshold and due time; to the assignee,
else the notify address / support email / admins; paused and answered clocks are quiet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from clients.tests.factories import ClientFactory
from tickets.models import SlaWarning, TicketSlaDue
from tickets.sla.services import sla_settings_set
from tickets.sla.warnings import sla_warn
from tickets.tasks import sla_warn_all
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def test_due_soon_then_breached_each_sent_once(scoped, make_user, now):
    tech = make_user(Role.TECHNICIAN, email="tess@northwind.example")
    ticket = TicketFactory(msp=scoped, client=ClientFactory(msp=scoped), status="new", assigned_to=tech,
                           first_response_due=now + dt.timedelta(minutes=20), resolution_due=now + dt.timedelta(days=2))
    assert sla_warn(msp=scoped, now=now) == 1
    assert sla_warn(msp=scoped, now=now + dt.timedelta(minutes=1)) == 0  # idempotent
    assert mail.outbox[-1].to == ["tess@northwind.example"] and "due soon" in mail.outbox[-1].subject
    assert sla_warn(msp=scoped, now=now + dt.timedelta(minutes=21)) == 1
    assert "breached" in mail.outbox[-1].subject and f"#{ticket.number}" in mail.outbox[-1].subject
    assert sla_warn(msp=scoped, now=now + dt.timedelta(minutes=30)) == 0
    assert SlaWarning.objects.filter(msp=scoped, ticket=ticket).count() == 2


def test_answered_paused_and_closed_clocks_are_quiet(scoped, now):
    client = ClientFactory(msp=scoped)
    soon = now + dt.timedelta(minutes=5)
    TicketFactory(msp=scoped, client=client, status="open", first_responded_at=now, first_response_due=soon)
    TicketFactory(msp=scoped, client=client, status="waiting", sla_paused_at=now, resolution_due=soon)
    TicketFactory(msp=scoped, client=client, status="closed", first_response_due=soon, resolution_due=soon)
    assert sla_warn(msp=scoped, now=now) == 0 and not mail.outbox


def test_unassigned_goes_to_notify_address_and_old_breaches_are_skipped(scoped, now):
    sla_settings_set(msp=scoped, notify_email="noc@northwind.example", warn_before_minutes=60)
    client = ClientFactory(msp=scoped)
    TicketFactory(msp=scoped, client=client, status="new", first_response_due=now + dt.timedelta(minutes=50))
    TicketFactory(msp=scoped, client=client, status="new", first_response_due=now - dt.timedelta(days=3))
    assert sla_warn(msp=scoped, now=now) == 1
    assert mail.outbox[0].to == ["noc@northwind.example"]


def test_pushed_due_time_warns_again(scoped, now):
    ticket = TicketFactory(msp=scoped, client=ClientFactory(msp=scoped), status="open", first_responded_at=now,
                           resolution_due=now + dt.timedelta(minutes=10))
    assert sla_warn(msp=scoped, now=now) == 1
    TicketSlaDue.objects.filter(ticket=ticket).update(resolution_due=now + dt.timedelta(minutes=25))
    assert sla_warn(msp=scoped, now=now) == 1


def test_beat_task_covers_every_msp_in_its_own_scope(two_msps, now):
    from opsmerge.tenancy import msp_scope

    for world in two_msps:
        with msp_scope(world.msp):
            TicketFactory(msp=world.msp, client=world.objects["client"], status="new",
                          first_response_due=timezone.now() + dt.timedelta(minutes=5))
    assert sla_warn_all() >= 2
    assert len(mail.outbox) == 2
