"""In Chromium: a technician creates a ticket for a client from the staff app (the
contact select follows the client by htmx) and sees it in the ticket list; the
client's Tickets tab opens the form with the client chosen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import MspFactory, UserFactory
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from sites.tests.factories import SiteFactory
from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_technician_creates_a_ticket_and_sees_it_in_the_list(signed_in_page, live_server, tmp_path):
    msp = MspFactory(name="Northwind IT", slug="northwind-tickets")
    tech = UserFactory(msp=msp, role=Role.TECHNICIAN, full_name="Tia Tech", email="tia@northwind.example")
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Acme", email="pat@acme.example")
    SiteFactory(msp=msp, client=acme, name="Acme HQ", is_hq=True)
    AssetFactory(msp=msp, client=acme, name="ACME-LT-01")
    globex = ClientFactory(msp=msp, name="Globex")
    ContactFactory(msp=msp, client=globex, first_name="Gil", last_name="Globex", email="gil@globex.example")
    page = signed_in_page(tech)

    page.goto(live_server.url + reverse("tickets:list"))
    page.get_by_role("link", name="New ticket").click()
    page.get_by_role("heading", name="New ticket").wait_for()
    page.get_by_role("button", name="Create ticket").click()  # empty: errors at the fields
    page.locator(".field.has-error").first.wait_for()
    assert page.locator(".field.has-error").count() == 2  # client and subject
    screenshot(page, "tickets-new-errors")

    contact = page.get_by_label("Contact")
    page.get_by_label("Client").select_option(label="Globex")
    page.wait_for_function("document.querySelector('#id_contact').textContent.includes('Gil Globex')")
    page.get_by_label("Client").select_option(label="Acme Ltd")  # the choices follow the client
    page.wait_for_function("document.querySelector('#id_contact').textContent.includes('Pat Acme')")
    assert "Gil Globex" not in contact.inner_text()
    contact.select_option(label="Pat Acme (pat@acme.example)")
    page.get_by_label("Site").select_option(label="Acme HQ")
    page.get_by_label("Asset").select_option(label="ACME-LT-01")
    page.get_by_label("Subject").fill("Outlook keeps asking for a password")
    page.get_by_label("Description").fill("Since Monday's password change, on the laptop only.")
    page.get_by_label("Priority").select_option(label="High")
    log = tmp_path / "outlook.log"
    log.write_text("12:01 auth prompt\n12:02 auth prompt\n")
    page.get_by_label("Attachments").set_input_files(str(log))
    assert page.get_by_label("Assignee").input_value() == str(tech.pk)  # "me" by default
    screenshot(page, "tickets-new")
    page.get_by_role("button", name="Create ticket").click()

    page.get_by_text("Created ticket #").wait_for()
    body = page.content()
    assert "Outlook keeps asking for a password" in body and "outlook.log" in body and "Pat Acme" in body
    screenshot(page, "tickets-new-created")

    page.get_by_role("link", name="Tickets").first.click()
    row = page.get_by_role("row").filter(has_text="Outlook keeps asking for a password")
    row.wait_for()
    text = row.inner_text()
    assert "Acme Ltd" in text and "Pat Acme" in text and "Technician" in text and "Tia Tech" in text
    screenshot(page, "tickets-new-list")

    # From the client's Tickets tab the form opens with the client chosen
    page.goto(live_server.url + reverse("clients:tickets", kwargs={"pk": acme.pk}))
    assert "Outlook keeps asking for a password" in page.content()
    page.get_by_role("link", name="New ticket").click()
    page.get_by_role("heading", name="New ticket").wait_for()
    assert page.get_by_label("Client").input_value() == str(acme.pk)
    assert "Pat Acme" in page.get_by_label("Contact").inner_text()
    screenshot(page, "tickets-new-from-client")
