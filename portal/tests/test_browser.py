"""End to end in Chromium: request a link, read it from the test outbox, sign in,
raise a ticket with an attachment, and see it in the technician's ticket list.
Browser fixtures: testing/browser.py (registered in the root conftest)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from testing.browser import screenshot as shot

from .conftest import links_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_signs_in_by_link_raises_a_ticket_and_the_technician_sees_it(
        chromium_context, signed_in_page, live_server, msp, user, tmp_path):
    page = chromium_context.new_page()
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Portal", email="pat@acme.example",
                   is_portal_user=True)

    page.goto(f"{live_server.url}/portal/sign-in/")
    shot(page, "portal-signin")
    page.get_by_label("Email address").fill("pat@acme.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    shot(page, "portal-signin-sent")

    (token,) = links_in(mail.outbox[-1])
    page.goto(live_server.url + reverse("portal:redeem", kwargs={"token": token}))
    page.get_by_role("heading", name="Welcome, Pat").wait_for()
    shot(page, "portal-redeem")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My tickets").wait_for()
    shot(page, "portal-tickets-empty")

    page.get_by_role("link", name="Raise a ticket").first.click()
    page.get_by_label("Subject").fill("Printer on the 2nd floor is jammed")
    page.get_by_label("Description").fill("Paper jam error 13.B2 since this morning. Tried turning it off and on.")
    screenshot_file = tmp_path / "error.png"
    screenshot_file.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    page.get_by_label("Attachments").set_input_files(str(screenshot_file))
    shot(page, "portal-ticket-new")
    page.get_by_role("button", name="Submit ticket").click()
    page.get_by_text("Paper jam error 13.B2").wait_for()
    assert "error.png" in page.content()
    shot(page, "portal-ticket-detail")
    page.get_by_role("link", name="My tickets").click()
    assert "Printer on the 2nd floor is jammed" in page.content()
    shot(page, "portal-tickets")

    # The technician, in another tab, sees the portal ticket in the list (the staff
    # cookie never reaches /portal/: the contact's tab stays the contact's)
    tech_page = signed_in_page(user)
    tech_page.goto(f"{live_server.url}/tickets/?source=portal")
    row = tech_page.get_by_role("row").filter(has_text="Printer on the 2nd floor is jammed")
    row.wait_for()
    assert "Pat Portal" in row.inner_text() and "Portal" in row.inner_text()
    shot(tech_page, "tickets-list-technician")
    row.get_by_role("link").first.click()
    tech_page.get_by_label("Message").fill("A technician is on the way with a new fuser.")
    tech_page.get_by_role("button", name="Send").click()
    tech_page.get_by_text("Reply sent.").wait_for()
    shot(tech_page, "ticket-detail-technician")
    tech_page.close()

    # ... and the contact sees the reply in the portal
    page.reload()
    page.get_by_role("link", name="Printer on the 2nd floor is jammed").click()
    page.get_by_text("A technician is on the way").wait_for()
    shot(page, "portal-ticket-conversation")
