"""SLA on tickets: due times in the client's (or site's) business hours, the priority
matrix with floor and VIP, first response, pauses and reopening, the set-based
recompute after business hours change, and client overrides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from clients.business_hours import business_hours_set
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from sites.models import Site
from tickets.models import SlaPolicy, Ticket, TicketSlaDue
from tickets.services import ticket_comment_add, ticket_create, ticket_update
from tickets.sla.recompute import sla_recompute
from tickets.sla.services import sla_policy_set, sla_settings_set, sla_ticket_changed

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
T = dt.time
WEEKDAYS = [(d, T(9), T(17)) for d in range(5)]


def reload(ticket: Ticket) -> Ticket:
    """The ticket from the database with its due times (refresh_from_db has no annotations)."""
    return Ticket.objects.with_sla().get(pk=ticket.pk)


def opened_at(ticket: Ticket, moment: dt.datetime) -> Ticket:
    """Backdate a ticket (services stamp 'now') and recompute its clock."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=moment)
    sla_recompute(msp=ticket.msp, ticket_ids=[ticket.pk])
    return reload(ticket)


@pytest.fixture
def ny_client(scoped):
    client = ClientFactory(msp=scoped, time_zone="America/New_York")
    business_hours_set(msp=scoped, client=client, intervals=WEEKDAYS, holidays=[(dt.date(2026, 12, 25), "Xmas")])
    return client


def test_ticket_opened_out_of_hours_is_due_from_next_opening(scoped, ny_client):
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Server down", priority="normal")
    # Saturday 7 March 2026, 23:30 in New York: the clock starts Monday 09:00.
    ticket = opened_at(ticket, dt.datetime(2026, 3, 7, 23, 30, tzinfo=NY))
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 13, tzinfo=NY)  # normal: 4h
    # 24 business hours = 3 days of 8 hours: Wednesday 17:00.
    assert ticket.resolution_due == dt.datetime(2026, 3, 11, 17, tzinfo=NY)


def test_holiday_is_skipped(scoped, ny_client):
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Printer", priority="urgent")
    ticket = opened_at(ticket, dt.datetime(2026, 12, 24, 16, tzinfo=NY))
    assert ticket.first_response_due == dt.datetime(2026, 12, 24, 17, tzinfo=NY)
    assert ticket.resolution_due == dt.datetime(2026, 12, 28, 12, tzinfo=NY)  # 1h Thu + 3h Mon


def test_site_with_own_time_zone_and_hours_overrides_the_client(scoped, ny_client):
    site = Site.objects.create(msp=scoped, client=ny_client, name="London office", time_zone="Europe/London")
    ticket = ticket_create(msp=scoped, client=ny_client, site=site, subject="VPN", priority="urgent")
    ticket = opened_at(ticket, dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC))
    # The client's 9–17 read in London time (no hours of its own): opens 09:00 GMT.
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    business_hours_set(msp=scoped, client=ny_client, site=site, intervals=[(0, T(12), T(20))])
    sla_recompute(msp=scoped, client_ids=[ny_client.pk])
    ticket = reload(ticket)
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 13, tzinfo=dt.UTC)


def test_business_hours_change_recomputes_open_tickets_through_the_signal(scoped, ny_client,
                                                                         django_capture_on_commit_callbacks):
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Mail", priority="urgent")
    ticket = opened_at(ticket, dt.datetime(2026, 3, 9, 8, tzinfo=NY))
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 10, tzinfo=NY)
    with django_capture_on_commit_callbacks(execute=True):
        business_hours_set(msp=scoped, client=ny_client, intervals=[(d, T(7), T(15)) for d in range(5)])
    ticket = reload(ticket)
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 9, tzinfo=NY)


def test_no_business_hours_means_around_the_clock(scoped):
    client = ClientFactory(msp=scoped, time_zone="Asia/Tokyo")
    ticket = ticket_create(msp=scoped, client=client, subject="Hi", priority="urgent")
    start = dt.datetime(2026, 3, 7, 23, tzinfo=dt.UTC)
    ticket = opened_at(ticket, start)
    assert ticket.first_response_due == start + dt.timedelta(hours=1)


def test_client_override_and_24x7_toggle(scoped, ny_client):
    sla_policy_set(msp=scoped, client=ny_client, business_hours=False, first_response_urgent_minutes=15)
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Down", priority="urgent")
    # Saturday 23:00 in New York, the night clocks go forward: 4 real hours later is 04:00 EDT.
    start = dt.datetime(2026, 3, 7, 23, tzinfo=NY)
    ticket = opened_at(ticket, start)
    assert ticket.first_response_due == dt.datetime(2026, 3, 7, 23, 15, tzinfo=NY)
    assert ticket.resolution_due == dt.datetime(2026, 3, 8, 4, tzinfo=NY)  # 4h copied from the default


def test_policy_change_recomputes_after_commit(scoped, ny_client, django_capture_on_commit_callbacks):
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Down", priority="low")
    ticket = opened_at(ticket, dt.datetime(2026, 3, 9, 9, tzinfo=NY))
    with django_capture_on_commit_callbacks(execute=True):
        sla_policy_set(msp=scoped, first_response_low_minutes=30)
    ticket = reload(ticket)
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 9, 30, tzinfo=NY)


def test_blank_target_means_no_due_time(scoped, ny_client):
    sla_policy_set(msp=scoped, client=ny_client, resolution_low_minutes=None)
    ticket = ticket_create(msp=scoped, client=ny_client, subject="Idea", priority="low")
    assert ticket.resolution_due is None and ticket.first_response_due is not None


def test_override_refused_while_archived_and_deleted_with_client(scoped):
    client = ClientFactory(msp=scoped)
    sla_policy_set(msp=scoped, client=client, first_response_low_minutes=60)
    client.status, client.archived_at = "archived", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    client.save()
    with pytest.raises(ValidationError):
        sla_policy_set(msp=scoped, client=client, first_response_low_minutes=30)
    client.delete()
    assert not SlaPolicy.objects.filter(msp=scoped).exists()


def test_bad_targets_are_refused(scoped):
    with pytest.raises(ValidationError) as err:
        sla_policy_set(msp=scoped, first_response_low_minutes=0)
    assert "first_response_low_minutes" in err.value.message_dict


# ------------------------------------------------------------------ priority


def test_priority_matrix_then_floor_then_vip(scoped):
    client = ClientFactory(msp=scoped)
    assert ticket_create(msp=scoped, client=client, subject="a", impact="high", urgency="high").priority == "urgent"
    assert ticket_create(msp=scoped, client=client, subject="b", impact="low", urgency="low").priority == "low"
    sla_settings_set(msp=scoped, priority_matrix={"low:low": "normal"})
    assert ticket_create(msp=scoped, client=client, subject="c", impact="low", urgency="low").priority == "normal"
    floored = ClientFactory(msp=scoped, priority_floor="high")
    assert ticket_create(msp=scoped, client=floored, subject="d", impact="low", urgency="low").priority == "high"
    vip = ContactFactory(msp=scoped, client=client, is_vip=True)
    assert ticket_create(msp=scoped, contact=vip, subject="e", impact="low", urgency="medium").priority == "high"


def test_unknown_matrix_cell_or_level_is_refused(scoped):
    with pytest.raises(ValidationError):
        sla_settings_set(msp=scoped, priority_matrix={"huge:low": "low"})
    with pytest.raises(ValidationError) as err:
        ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="x", impact="giant", urgency="low")
    assert "impact" in err.value.message_dict


def test_changing_impact_reapplies_the_matrix_and_the_clock(scoped, user):
    ticket = ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="x", impact="low", urgency="low")
    low_due = ticket.first_response_due
    ticket_update(msp=scoped, ticket=ticket, actor=user, impact="high", urgency="high")
    ticket = reload(ticket)
    assert ticket.priority == "urgent"
    assert ticket.first_response_due == low_due - dt.timedelta(hours=7)  # 24x7 client: 8h -> 1h


# ------------------------------------------------------------------ first response, pause, reopen


def test_first_response_is_a_public_technician_reply_not_a_note(scoped, user):
    ticket = ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="x")
    ticket_comment_add(msp=scoped, ticket=ticket, body="note", author_user=user, is_internal=True)
    ticket = reload(ticket)
    assert ticket.first_responded_at is None
    ticket_comment_add(msp=scoped, ticket=ticket, body="On it", author_user=user)
    ticket = reload(ticket)
    assert ticket.first_responded_at is not None


def test_leaving_new_is_a_first_response(scoped, user):
    ticket = ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="x")
    ticket_update(msp=scoped, ticket=ticket, actor=user, status="open")
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is not None


def test_waiting_pauses_and_resuming_pushes_resolution_due(scoped, ny_client):
    ticket = ticket_create(msp=scoped, client=ny_client, subject="x", priority="high")
    ticket = opened_at(ticket, dt.datetime(2026, 3, 9, 9, tzinfo=NY))
    assert ticket.resolution_due == dt.datetime(2026, 3, 9, 17, tzinfo=NY)
    ticket.status = Ticket.Status.WAITING
    sla_ticket_changed(msp=scoped, ticket=ticket, old_status="new", now=dt.datetime(2026, 3, 9, 11, tzinfo=NY))
    assert ticket.sla_paused_at == dt.datetime(2026, 3, 9, 11, tzinfo=NY)
    ticket.status = Ticket.Status.OPEN
    # Waiting from Monday 11:00 to Tuesday 10:00 in New York: 6 + 1 = 7 business hours.
    sla_ticket_changed(msp=scoped, ticket=ticket, old_status="waiting", now=dt.datetime(2026, 3, 10, 10, tzinfo=NY))
    ticket = reload(ticket)
    assert ticket.sla_paused_at is None and ticket.sla_paused_seconds == 7 * 3600
    assert ticket.resolution_due == dt.datetime(2026, 3, 10, 16, tzinfo=NY)


def test_reopening_resumes_the_resolution_clock(scoped, ny_client, user):
    contact = ContactFactory(msp=scoped, client=ny_client)
    ticket = ticket_create(msp=scoped, contact=contact, subject="x", priority="high")
    ticket_update(msp=scoped, ticket=ticket, actor=user, status="resolved")
    ticket = reload(ticket)
    assert ticket.sla_paused_at == ticket.resolved_at
    due = ticket.resolution_due
    ticket_comment_add(msp=scoped, ticket=ticket, body="Broken again", author_contact=contact)
    ticket = reload(ticket)
    assert ticket.status == "open" and ticket.sla_paused_at is None
    assert ticket.resolution_due >= due


def test_recompute_writes_only_changed_rows_and_only_one_msps(two_msps):
    from opsmerge.tenancy import msp_scope

    alpha, bravo = two_msps
    with msp_scope(alpha.msp):
        ticket = ticket_create(msp=alpha.msp, client=alpha.objects["client"], subject="One")
        sla_recompute(msp=alpha.msp)  # the world's factory tickets had no clock yet
        assert sla_recompute(msp=alpha.msp) == 0  # nothing changed since
        TicketSlaDue.objects.filter(msp=alpha.msp, ticket=ticket).update(first_response_due=None)
        assert sla_recompute(msp=alpha.msp) == 1
    with msp_scope(bravo.msp):
        assert Ticket.objects.filter(msp=bravo.msp).exists()
        assert not TicketSlaDue.objects.filter(msp=bravo.msp).exists()  # untouched by alpha's recompute


def test_merge_keeps_the_targets_policy_and_undo_restores_the_sources(scoped, user, django_capture_on_commit_callbacks):
    from clients.merge import client_merge_execute, client_merge_start, client_merge_undo

    target, source = ClientFactory(msp=scoped, name="Acme"), ClientFactory(msp=scoped, name="Acme Ltd")
    sla_policy_set(msp=scoped, client=target, first_response_low_minutes=60)
    sla_policy_set(msp=scoped, client=source, first_response_low_minutes=30)
    ticket = ticket_create(msp=scoped, client=source, subject="Moved", priority="low")
    with django_capture_on_commit_callbacks(execute=True):
        merge = client_merge_start(msp=scoped, target=target, sources=[source], actor=user)
    merge = client_merge_execute(msp=scoped, merge=merge) if merge.status != "done" else merge
    assert merge.status == "done", merge.error
    assert list(SlaPolicy.objects.filter(msp=scoped).values_list("client_id", "first_response_low_minutes")) == [
        (target.pk, 60)]
    ticket = reload(ticket)
    assert ticket.client_id == target.pk
    client_merge_undo(msp=scoped, merge=merge, actor=user)
    assert SlaPolicy.objects.filter(msp=scoped, client=source).exists()


def test_merge_moves_the_only_sources_policy(scoped, user):
    from clients.merge import client_merge_execute, client_merge_start

    target, source = ClientFactory(msp=scoped), ClientFactory(msp=scoped)
    sla_policy_set(msp=scoped, client=source, first_response_low_minutes=30)
    merge = client_merge_execute(msp=scoped, merge=client_merge_start(msp=scoped, target=target, sources=[source],
                                                                      actor=user))
    assert merge.status == "done", merge.error
    assert SlaPolicy.objects.get(msp=scoped).client_id == target.pk


def test_client_time_zone_change_recomputes(scoped, ny_client, django_capture_on_commit_callbacks):
    from clients.services import client_update

    ticket = opened_at(ticket_create(msp=scoped, client=ny_client, subject="TZ", priority="urgent"),
                       dt.datetime(2026, 3, 9, 20, tzinfo=dt.UTC))  # 16:00 in New York
    assert ticket.first_response_due == dt.datetime(2026, 3, 9, 17, tzinfo=NY)
    with django_capture_on_commit_callbacks(execute=True):
        client_update(msp=scoped, client=ny_client, time_zone="Europe/London")
    # 20:00 in London is out of hours: the clock starts Tuesday 09:00 London time.
    assert reload(ticket).first_response_due == dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)
