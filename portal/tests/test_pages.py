"""Portal pages: tickets (own / all of the client), raise with attachments, VIP,
conversation without internal notes, assets, profile."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import UserFactory
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import unscoped
from tickets.models import Ticket, TicketAttachment
from tickets.tests.factories import TicketCommentFactory, TicketFactory

from .conftest import sign_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def colleague(msp, acme):
    return ContactFactory(msp=msp, client=acme, first_name="Cole", email="cole@acme.example", is_portal_user=True)


@pytest.fixture
def tickets(msp, acme, portal_contact, colleague):
    other_client = ClientFactory(msp=msp, name="Elsewhere Inc")
    return {
        "mine": TicketFactory(msp=msp, client=acme, contact=portal_contact, subject="My laptop is slow"),
        "colleague": TicketFactory(msp=msp, client=acme, contact=colleague, subject="Cole's printer"),
        "other_client": TicketFactory(msp=msp, client=other_client, subject="Elsewhere outage"),
    }


def test_my_tickets_shows_only_my_own(portal, tickets):
    body = portal.get("/portal/tickets/").content.decode()
    assert "My laptop is slow" in body
    assert "Cole&#x27;s printer" not in body and "Cole's printer" not in body and "Elsewhere outage" not in body
    assert portal.get(reverse("portal:ticket", kwargs={"number": tickets["colleague"].number})).status_code == 404
    assert portal.get(reverse("portal:ticket", kwargs={"number": tickets["other_client"].number})).status_code == 404


def test_contact_allowed_to_see_all_client_tickets(portal, portal_contact, tickets):
    with unscoped("test"):
        type(portal_contact).objects.filter(pk=portal_contact.pk).update(portal_sees_all_tickets=True)
    body = portal.get("/portal/tickets/?show=all").content.decode()
    assert "My laptop is slow" in body and "printer" in body and "Elsewhere outage" not in body
    assert portal.get(reverse("portal:ticket", kwargs={"number": tickets["colleague"].number})).status_code == 200
    assert portal.get(reverse("portal:ticket", kwargs={"number": tickets["other_client"].number})).status_code == 404


def test_other_msps_ticket_with_the_same_number_is_invisible(portal, portal_contact, two_msps):
    _alpha, bravo = two_msps
    with unscoped("test"):
        Ticket.objects.filter(msp=portal_contact.msp).delete()
        bravo_ticket = bravo.objects["ticket"]
    response = portal.get(reverse("portal:ticket", kwargs={"number": bravo_ticket.number}))
    assert response.status_code == 404


def test_raise_a_ticket_with_attachments(portal, portal_contact, make_user):
    response = portal.post("/portal/tickets/new/", {"subject": "Printer jammed", "description": "Paper everywhere",
                                                    "attachments": [png(), SimpleUploadedFile("log.txt", b"hello")]})
    assert response.status_code == 302
    with unscoped("test"):
        ticket = Ticket.objects.get(subject="Printer jammed")
        assert (ticket.source, ticket.contact_id, ticket.client_id) == ("portal", portal_contact.pk,
                                                                      portal_contact.client_id)
        names = sorted(TicketAttachment.objects.filter(ticket=ticket).values_list("name", "content_type"))
    assert names == [("log.txt", "text/plain"), ("screen.png", "image/png")]
    assert response["Location"] == reverse("portal:ticket", kwargs={"number": ticket.number})
    page = portal.get(response["Location"]).content.decode()
    assert "Paper everywhere" in page and "screen.png" in page


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("evil.exe", b"MZ\x90\x00"), "not accepted"),
    (SimpleUploadedFile("fake.png", b"MZ\x90\x00 not a png"), "does not look like"),
    (SimpleUploadedFile("empty.pdf", b""), "empty"),
])
def test_attachment_type_is_checked(portal, upload, message):
    response = portal.post("/portal/tickets/new/", {"subject": "S", "description": "D", "attachments": [upload]})
    assert response.status_code == 400 and message in response.content.decode()
    with unscoped("test"):
        assert not Ticket.objects.exists()  # nothing half-written


@override_settings(TICKET_ATTACHMENT_MAX_BYTES=1000)
def test_attachment_size_is_checked(portal):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000)
    response = portal.post("/portal/tickets/new/", {"subject": "S", "description": "D", "attachments": [big]})
    assert response.status_code == 400 and "the limit is" in response.content.decode()


def test_vip_ticket_gets_vip_priority_and_notifies_the_team(portal, msp, portal_contact, committed):
    UserFactory(msp=msp, email="ops@northwind.example", role="admin")
    msp.support_email = "support@northwind.example"
    msp.save()
    with unscoped("test"):
        type(portal_contact).objects.filter(pk=portal_contact.pk).update(is_vip=True)
    committed(portal.post, "/portal/tickets/new/", {"subject": "CEO cannot print", "description": "Urgent board pack"})
    with unscoped("test"):
        ticket = Ticket.objects.get()
    assert ticket.priority == "high"
    (message,) = [m for m in mail.outbox if "[VIP]" in m.subject]
    assert message.to == ["support@northwind.example"]
    assert "CEO cannot print" in message.subject and f"/tickets/{ticket.pk}/" in message.body


def test_conversation_never_shows_internal_notes_or_their_files(portal, msp, tickets, user):
    ticket = tickets["mine"]
    TicketCommentFactory(msp=msp, ticket=ticket, body="We ordered a new fuser", author_user=user)
    note = TicketCommentFactory(msp=msp, ticket=ticket, body="SECRET: client is on a payment hold",
                                author_user=user, is_internal=True)
    with unscoped("test"):
        secret_file = TicketAttachment(msp=msp, ticket=ticket, comment=note, name="internal.txt",
                                       content_type="text/plain", size=3)
        secret_file.file.save("internal.txt", SimpleUploadedFile("internal.txt", b"abc"))
    page = portal.get(reverse("portal:ticket", kwargs={"number": ticket.number})).content.decode()
    assert "We ordered a new fuser" in page
    assert "SECRET" not in page and "internal.txt" not in page
    assert portal.get(reverse("portal:attachment", kwargs={"pk": secret_file.pk})).status_code == 404


def test_contact_replies_and_technicians_see_it(portal, client, tickets, user, portal_contact):
    ticket = tickets["mine"]
    with unscoped("test"):
        Ticket.objects.filter(pk=ticket.pk).update(status="waiting")
    url = reverse("portal:ticket", kwargs={"number": ticket.number})
    assert portal.post(url, {"body": "Still slow after the reboot", "attachments": [png()]}).status_code == 302
    with unscoped("test"):
        ticket.refresh_from_db()
    assert ticket.status == "open"  # a reply from the client reopens a ticket waiting on them
    client.force_login(user)
    staff_page = client.get(reverse("tickets:detail", kwargs={"pk": ticket.pk})).content.decode()
    assert "Still slow after the reboot" in staff_page and "Pat Portal" in staff_page


def test_attachment_download_is_limited_to_visible_tickets(portal, msp, tickets):
    with unscoped("test"):
        own = TicketAttachment(msp=msp, ticket=tickets["mine"], name="a.png", content_type="image/png", size=len(PNG))
        own.file.save("a.png", png())
        theirs = TicketAttachment(msp=msp, ticket=tickets["colleague"], name="b.png", content_type="image/png",
                                  size=len(PNG))
        theirs.file.save("b.png", png())
    response = portal.get(reverse("portal:attachment", kwargs={"pk": own.pk}))
    # a real PNG opens inline (opsmerge.files.file_response); anything else is a download
    assert response.status_code == 200 and response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert portal.get(reverse("portal:attachment", kwargs={"pk": theirs.pk})).status_code == 404


def test_closed_ticket_cannot_be_replied_to(portal, tickets):
    ticket = tickets["mine"]
    with unscoped("test"):
        Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    response = portal.post(reverse("portal:ticket", kwargs={"number": ticket.number}), {"body": "hello?"})
    assert response.status_code == 400 and "closed" in response.content.decode()


def test_my_assets(portal, msp, acme, portal_contact, colleague):
    AssetFactory(msp=msp, client=acme, contact=portal_contact, name="PAT-LAPTOP")
    AssetFactory(msp=msp, client=acme, contact=colleague, name="COLE-LAPTOP")
    AssetFactory(msp=msp, client=acme, contact=portal_contact, name="OLD-PHONE", is_active=False)
    body = portal.get("/portal/assets/").content.decode()
    assert "PAT-LAPTOP" in body and "COLE-LAPTOP" not in body and "OLD-PHONE" not in body


def test_profile_phone_numbers(portal, portal_contact):
    response = portal.post("/portal/profile/", {"phone": "020 7946 0018", "mobile": ""})
    assert response.status_code == 200 and "Saved." in response.content.decode()
    portal_contact.refresh_from_db()
    assert portal_contact.phone == "+44 20 7946 0018"
    bad = portal.post("/portal/profile/", {"phone": "12", "mobile": ""})
    assert bad.status_code == 400 and "valid phone number" in bad.content.decode()


def test_portal_pages_are_not_cached(portal):
    assert "no-store" in portal.get("/portal/tickets/")["Cache-Control"]


def test_signed_in_contact_on_sign_in_page_goes_to_tickets(portal):
    assert portal.get("/portal/sign-in/")["Location"] == reverse("portal:tickets")


def test_sign_in_of_two_contacts_in_two_browsers_is_independent(client, portal_contact, colleague, tickets):
    from django.test import Client

    other = Client()
    sign_in(client, portal_contact)
    sign_in(other, colleague)
    assert "My laptop is slow" in client.get("/portal/tickets/").content.decode()
    assert "My laptop is slow" not in other.get("/portal/tickets/").content.decode()
