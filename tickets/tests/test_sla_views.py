"""SLA pages: the ticket's clock card, the list's SLA column / filter / sort with
constant queries, Settings → SLA, and the client's SLA tab (blocked while archived)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from clients.tests.factories import ClientFactory
from opsmerge.tenancy import msp_scope
from tickets.models import SlaPolicy, SlaSettings, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
LIST = "/tickets/"


@pytest.fixture
def clocks(msp):
    now = timezone.now()
    client = ClientFactory(msp=msp, name="Acme Ltd")
    return {
        "late": TicketFactory(msp=msp, client=client, subject="Late one", status="open",
                              first_response_due=now - dt.timedelta(hours=2), resolution_due=now + dt.timedelta(days=1)),
        "soon": TicketFactory(msp=msp, client=client, subject="Soon one", status="new",
                              first_response_due=now + dt.timedelta(minutes=30),
                              resolution_due=now + dt.timedelta(hours=8)),
        "later": TicketFactory(msp=msp, client=client, subject="Later one", status="open",
                               first_responded_at=now - dt.timedelta(hours=1),
                               first_response_due=now, resolution_due=now + dt.timedelta(hours=10)),
        "paused": TicketFactory(msp=msp, client=client, subject="Paused one", status="waiting",
                                first_responded_at=now - dt.timedelta(hours=1), first_response_due=now,
                                sla_paused_at=now - dt.timedelta(minutes=5), resolution_due=now + dt.timedelta(hours=1)),
        "met": TicketFactory(msp=msp, client=client, subject="Done one", status="resolved",
                             first_responded_at=now - dt.timedelta(hours=3), first_response_due=now,
                             resolved_at=now - dt.timedelta(hours=1), sla_paused_at=now - dt.timedelta(hours=1),
                             resolution_due=now),
    }


def subjects(response) -> list[str]:
    return [t.subject for t in response.context["tickets"]]


def test_filter_breached_and_due_within(web, clocks):
    assert set(subjects(web.get(f"{LIST}?sla=breached"))) == {"Late one"}
    assert set(subjects(web.get(f"{LIST}?sla=due_1h"))) == {"Soon one"}
    assert set(subjects(web.get(f"{LIST}?sla=due_24h"))) == {"Soon one", "Later one"}


def test_sort_due_soonest_puts_breached_first_and_no_clock_last(web, clocks):
    order = subjects(web.get(f"{LIST}?sort=due"))
    assert order[:3] == ["Late one", "Soon one", "Later one"]
    assert set(order[3:]) == {"Paused one", "Done one"}


def test_list_shows_due_and_breached_with_constant_queries(web, msp, clocks, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        body = web.get(f"{LIST}?sort=due").content.decode()
    assert "Breached" in body and "Paused" in body and "SLA due" in body
    client = ClientFactory(msp=msp)
    for i in range(20):
        TicketFactory(msp=msp, client=client, subject=f"T{i}", first_response_due=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        web.get(f"{LIST}?sort=due&sla=breached")


def test_ticket_page_shows_both_clocks(web, clocks):
    body = web.get(reverse("tickets:detail", kwargs={"pk": clocks["late"].pk})).content.decode()
    assert 'data-sla-clock="breached"' in body and "First response" in body and "Resolution" in body
    body = web.get(reverse("tickets:detail", kwargs={"pk": clocks["paused"].pk})).content.decode()
    assert 'data-sla-clock="paused"' in body and "Waiting on the client" in body
    body = web.get(reverse("tickets:detail", kwargs={"pk": clocks["met"].pk})).content.decode()
    assert 'data-sla-clock="met"' in body


def test_settings_page_saves_default_policy_matrix_and_warnings(web, msp):
    url = reverse("settings:sla")
    page = web.get(url)
    assert page.status_code == 200 and "Priority matrix" in page.content.decode()
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(business_hours="on", first_response_urgent_minutes="0.5", resolution_low_minutes="",
                m_low_low="normal", warn_before_minutes="45", notify_email="noc@northwind.example")
    response = web.post(url, data)
    assert response.status_code == 302
    with msp_scope(msp):
        policy = SlaPolicy.objects.get(msp=msp, client=None)
        settings = SlaSettings.objects.get(msp=msp)
    assert policy.first_response_urgent_minutes == 30 and policy.resolution_low_minutes is None
    assert settings.priority_matrix["low:low"] == "normal" and settings.warn_before_minutes == 45


def test_settings_page_rejects_bad_hours_at_the_field(web):
    response = web.post(reverse("settings:sla"), {"first_response_low_minutes": "-1", "warn_before_minutes": "30",
                                                  **{f"m_{i}_{u}": "low" for i in ("low", "medium", "high")
                                                     for u in ("low", "medium", "high")}})
    assert response.status_code == 200 and response.context["form"].errors["first_response_low_minutes"]


def test_technician_cannot_open_sla_settings(client, make_user):
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("settings:sla")).status_code == 403


def test_client_tab_sets_and_removes_an_override(web, msp):
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    tab = web.get(reverse("clients:sla", kwargs={"pk": acme.pk}))
    assert tab.status_code == 200 and "Follows the" in tab.content.decode()
    post = reverse("tickets:client_sla", kwargs={"client_pk": acme.pk})
    response = web.post(post, {"first_response_urgent_minutes": "0.25", "business_hours": ""})
    assert response.status_code == 302
    with msp_scope(msp):
        own = SlaPolicy.objects.get(msp=msp, client=acme)
    assert own.first_response_urgent_minutes == 15 and own.business_hours is False
    assert "own policy" in web.get(reverse("clients:sla", kwargs={"pk": acme.pk})).content.decode()
    web.post(post, {"remove": "1"})
    with msp_scope(msp):
        assert not SlaPolicy.objects.filter(msp=msp, client=acme).exists()


def test_client_tab_refuses_an_archived_client(web, msp):
    archived = ClientFactory(msp=msp, status="archived", archived_at=timezone.now())
    tab = web.get(reverse("clients:sla", kwargs={"pk": archived.pk})).content.decode()
    assert "restore it to change" in tab
    response = web.post(reverse("tickets:client_sla", kwargs={"client_pk": archived.pk}),
                        {"first_response_urgent_minutes": "1"})
    assert response.status_code == 400 and "archived" in response.content.decode()
    with msp_scope(msp):
        assert not SlaPolicy.objects.filter(msp=msp).exists()


def test_api_exposes_sla_fields_read_only(user, clocks):
    from rest_framework.test import APIClient

    from api.tests.conftest import issue_key

    ticket = clocks["late"]
    with msp_scope(ticket.msp):
        Ticket.objects.filter(pk=ticket.pk).update(impact="high")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(user)}")
    data = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert data["sla_breached"] is True and data["first_response_due"] and data["impact"] == "high"
