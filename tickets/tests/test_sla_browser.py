"""In Chromium: a ticket opened out of hours for a client whose business hours are in
another time zone shows its SLA clock from the client's next opening; the list shows
the due column; Settings → SLA and the client's SLA tab render."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import MspFactory, UserFactory
from clients.business_hours import business_hours_set
from clients.tests.factories import ClientFactory
from opsmerge.tenancy import msp_scope
from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")


def test_ticket_opened_out_of_hours_shows_due_time_in_clients_hours(signed_in_page, live_server):
    msp = MspFactory(name="Northwind IT", slug="northwind-sla")
    admin = UserFactory(msp=msp, role=Role.ADMIN, full_name="Ada Admin", email="ada@northwind.example")
    harbour = ClientFactory(msp=msp, name="Harbour Dental", time_zone="America/New_York")
    # Open one weekday only, two days from now in New York: right now is out of hours.
    today = timezone.now().astimezone(NY).date()
    open_day = today + dt.timedelta(days=2)
    with msp_scope(msp):
        business_hours_set(msp=msp, client=harbour, intervals=[(open_day.weekday(), dt.time(9), dt.time(17))])
    page = signed_in_page(admin)

    page.goto(live_server.url + reverse("tickets:new") + f"?client={harbour.pk}")
    page.get_by_label("Subject").fill("X-ray PC will not boot")
    page.get_by_label("Impact").select_option(label="Medium")
    page.get_by_label("Urgency").select_option(label="Medium")  # the matrix: Normal (4h / 24h)
    page.get_by_role("button", name="Create ticket").click()
    page.get_by_text("Created ticket #").wait_for()

    card = page.locator("#sla")
    # Normal priority: first response 4 business hours after the next opening (09:00 New York time).
    due = dt.datetime.combine(open_day, dt.time(13), tzinfo=NY)
    expected = due.strftime("%a %-d %b %Y, 13:00 %Z")
    first = card.locator('dd[data-sla-clock]').first
    assert expected in first.inner_text(), first.inner_text()
    assert "4h 00m left" in first.inner_text()
    assert "America/New_York" in card.inner_text() and "Business hours" in card.inner_text()
    screenshot(page, "tickets-sla-clock")

    page.goto(live_server.url + reverse("tickets:list") + "?sort=due")
    row = page.get_by_role("row").filter(has_text="X-ray PC will not boot")
    # The list gives wall-clock time to the next due time: one to two days away.
    assert re.search(r"in [12] days?", row.inner_text().replace("\xa0", " "))
    screenshot(page, "tickets-sla-list")

    page.goto(live_server.url + reverse("settings:sla"))
    page.get_by_role("heading", name="Priority matrix").wait_for()
    screenshot(page, "tickets-sla-settings")
    page.goto(live_server.url + reverse("clients:sla", kwargs={"pk": harbour.pk}))
    page.get_by_label("Resolution, urgent").fill("2")
    page.get_by_role("button", name="Save policy").click()
    page.get_by_text("SLA policy of Harbour Dental saved.").wait_for()
    assert "This client's own policy" in page.content()
    screenshot(page, "tickets-sla-client-tab")
