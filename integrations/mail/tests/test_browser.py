"""End to end in Chromium against a real IMAP server (dovecot): connect the support
mailbox in Settings → Email, an email becomes a ticket on the right client (poll
task run, then the ticket page shows it) with its SLA clock in that client's business
hours and time zone, a reply threads onto it, a bounce does not loop."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clients.business_hours import business_hours_set
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory
from integrations.mail.tasks import mail_poll
from opsmerge.tenancy import msp_scope
from testing.browser import screenshot as shot
from tickets.models import Ticket

from .messages import bounce_bytes, email_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def poll_now(page, live_server):
    """Settings → Email → Poll now, for the one message just delivered."""
    page.goto(f"{live_server.url}/settings/email/")
    page.get_by_role("button", name="Poll now").click()
    page.get_by_text("1 new message processed.").wait_for()


def test_email_becomes_a_ticket_a_reply_threads_and_a_bounce_does_not_loop(
        signed_in_page, live_server, msp, user, dovecot_server, imap_user):
    acme = ClientFactory(msp=msp, name="Acme Ltd", time_zone="America/New_York")
    # Acme opens one weekday only, two days from now in New York: the email arrives out of hours.
    new_york = ZoneInfo("America/New_York")
    open_day = timezone.now().astimezone(new_york).date() + dt.timedelta(days=2)
    with msp_scope(msp):
        business_hours_set(msp=msp, client=acme, intervals=[(open_day.weekday(), dt.time(9), dt.time(17))])
    ClientDomainFactory(msp=msp, client=acme, domain="acme.test")
    ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Lee", email="pat@acme.test")
    page = signed_in_page(user)

    page.goto(f"{live_server.url}/settings/email/")
    page.locator("#id_host").fill(dovecot_server.host)
    page.locator("#id_port").fill(str(dovecot_server.port))
    page.locator("#id_use_tls").uncheck()
    page.locator("#id_username").fill(imap_user)
    page.locator("#id_password").fill("s3cret-pass")
    page.locator("#id_address").fill(imap_user)
    page.get_by_role("button", name="Save and test connection").click()
    page.get_by_text("Connected: INBOX holds 0 messages.").wait_for()
    shot(page, "mail-settings-connected")

    # a customer writes in; the beat's poll task picks it up
    dovecot_server.append(imap_user, email_bytes(sender="Pat Lee <pat@acme.test>", subject="Outlook keeps crashing",
                                                 body="Since this morning Outlook crashes on start."))
    outcome = mail_poll.apply(args=[msp.pk]).get()
    assert outcome["counts"] == {"ticket": 1}, outcome
    with msp_scope(msp):
        ticket = Ticket.objects.get(msp=msp)
    page.goto(f"{live_server.url}/tickets/")
    page.get_by_role("link", name="Outlook keeps crashing").click()
    page.get_by_text("Since this morning Outlook crashes on start.").wait_for()
    details = page.locator("aside.stack").inner_text()
    assert "Acme Ltd" in details and "Pat Lee" in details and "pat@acme.test" in details
    # Normal priority: first response due 4 business hours after Acme's next opening, 09:00 New York time.
    sla = page.locator("#sla")
    due = dt.datetime.combine(open_day, dt.time(13), tzinfo=new_york).strftime("%a %-d %b %Y, 13:00 %Z")
    assert due in sla.locator("dd[data-sla-clock]").first.inner_text(), sla.inner_text()
    assert "Opened out of hours" in sla.inner_text() and "America/New_York" in sla.inner_text()
    shot(page, "mail-ticket-from-email")
    [ack] = mail.outbox
    assert f"[#{ticket.number}]" in ack.subject

    # the customer replies to the acknowledgement; Poll now threads it onto the ticket
    dovecot_server.append(imap_user, email_bytes(
        sender="pat@acme.test", subject=f"Re: {ack.subject}", in_reply_to=ack.extra_headers["Message-ID"],
        body="It also happens in safe mode.\n\nOn Sunday, Support wrote:\n> earlier"))
    poll_now(page, live_server)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_text("It also happens in safe mode.").wait_for()
    assert "earlier" not in page.locator("text=It also happens in safe mode.").inner_text()
    shot(page, "mail-reply-threaded")

    # a bounce of our acknowledgement: recorded as ignored, no ticket, nothing sent back
    sent_before = len(mail.outbox)
    dovecot_server.append(imap_user, bounce_bytes(to=imap_user, original_subject=ack.subject))
    poll_now(page, live_server)
    table = page.get_by_test_id("inbound-table").inner_text()
    assert "Ignored (auto-reply / bounce)" in table and "Threaded reply" in table and "New ticket" in table
    shot(page, "mail-settings-received")
    with msp_scope(msp):
        assert Ticket.objects.filter(msp=msp).count() == 1
    assert len(mail.outbox) == sent_before


def test_triage_queue_assign_and_quiet_hours_card(signed_in_page, live_server, msp, user):
    from integrations.mail.models import InboundMessage
    from integrations.mail.services import inbound_receive

    acme = ClientFactory(msp=msp, name="Acme Ltd", time_zone="Europe/London")
    ClientDomainFactory(msp=msp, client=acme, domain="acme.test")
    with msp_scope(msp):
        inbound_receive(msp=msp, raw=email_bytes(sender="sam@newdomain.test", subject="Laptop will not boot"),
                        source=InboundMessage.Source.WEBHOOK)
        inbound_receive(msp=msp, raw=email_bytes(sender="pat@acme.test", subject="Known"), source="webhook")
    page = signed_in_page(user)
    page.goto(f"{live_server.url}/tickets/")
    page.locator("select[name=queue]").select_option("unassigned")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**queue=unassigned**")
    assert "Known" not in page.locator("table").inner_text()
    shot(page, "mail-triage-queue")
    page.get_by_role("link", name="Laptop will not boot").click()
    card = page.get_by_test_id("ticket-email-card")
    assert "sam@newdomain.test" in card.inner_text()
    shot(page, "mail-triage-ticket")
    card.locator("select[name=client]").select_option(label="Acme Ltd")
    card.get_by_role("button", name="Assign").click()
    page.get_by_text("now belongs to Acme Ltd").wait_for()
    details = page.locator("aside.stack").inner_text()
    assert "Acme Ltd" in details

    page.goto(f"{live_server.url}/clients/{acme.pk}/")
    quiet = page.get_by_test_id("quiet-hours-card")
    quiet.locator("input[name=start]").fill("21:00")
    quiet.locator("input[name=end]").fill("07:30")
    quiet.locator("input[name=is_active]").check()
    quiet.get_by_role("button", name="Save quiet hours").click()
    page.get_by_text("Portal quiet hours of Acme Ltd saved.").wait_for()
    shot(page, "portal-quiet-hours-card")
