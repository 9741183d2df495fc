"""A contact's reply (portal) emails the ticket's assigned technician: HTML + text,
a link to the staff ticket page. Unassigned tickets email nobody new."""

import logging

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope, unscoped
from tickets.models import Ticket, TicketComment
from tickets.services import ticket_comment_add
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tia(make_user):
    return make_user(role=Role.TECHNICIAN, full_name="Tia Tech", email="tia@northwind.example")


@pytest.fixture
def pat(msp):
    acme = ClientFactory(msp=msp, name="Acme Ltd")
    return ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Portal", email="pat@acme.example",
                          is_portal_user=True)


@pytest.fixture
def ticket(msp, pat, tia):
    return TicketFactory(msp=msp, client=pat.client, contact=pat, subject="Printer jam", source="portal",
                         status="waiting", assigned_to=tia)


def contact_replies(ticket, pat, body="Still jammed, photo attached.", **kwargs):
    with msp_scope(ticket.msp):
        return ticket_comment_add(msp=ticket.msp, ticket=ticket, body=body, author_contact=pat, **kwargs)


def test_contact_reply_emails_the_assignee(ticket, pat, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        contact_replies(ticket, pat, attachments=[SimpleUploadedFile("jam.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 8)])
    (message,) = mail.outbox
    assert message.to == ["tia@northwind.example"]
    assert message.subject == f"Re: [#{ticket.number}] Printer jam — Pat Portal replied"
    url = settings.SITE_URL + reverse("tickets:detail", kwargs={"pk": ticket.pk})
    assert "Still jammed, photo attached." in message.body and url in message.body
    assert "Attachments: jam.png" in message.body and "Status: Open" in message.body  # the reply reopened it
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html" and f'href="{url}"' in html and "Still jammed, photo attached." in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_unassigned_ticket_emails_nobody(ticket, pat, django_capture_on_commit_callbacks):
    with unscoped("test"):
        Ticket.objects.filter(pk=ticket.pk).update(assigned_to=None)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        contact_replies(ticket, pat)
    assert mail.outbox == []


def test_assignee_who_left_is_not_emailed(ticket, pat, tia, django_capture_on_commit_callbacks):
    tia.is_active = False
    tia.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        contact_replies(ticket, pat)
    assert mail.outbox == []


def test_technician_reply_emails_the_contact_not_the_assignee(ticket, tia, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), msp_scope(ticket.msp):
        ticket_comment_add(msp=ticket.msp, ticket=ticket, body="On my way", author_user=tia)
    assert [m.to for m in mail.outbox] == [["pat@acme.example"]]


def test_broker_outage_keeps_the_reply_and_is_logged(ticket, pat, monkeypatch, caplog,
                                                     django_capture_on_commit_callbacks):
    from tickets import tasks

    def broker_down(*args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.ticket_contact_reply_notify, "delay", broker_down)
    with caplog.at_level(logging.ERROR, logger="opsmerge.tickets"), \
            django_capture_on_commit_callbacks(execute=True):
        comment = contact_replies(ticket, pat)
    with unscoped("test"):
        assert TicketComment.objects.filter(pk=comment.pk).exists()
    assert "tickets.contact_reply_notify" in caplog.text and mail.outbox == []


def test_reply_in_the_portal_emails_the_assignee(client, ticket, pat, django_capture_on_commit_callbacks):
    from portal import conf
    from portal.services import session_start

    with msp_scope(pat.msp):
        client.cookies[conf.cookie_name()] = session_start(msp=pat.msp, contact=pat)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:ticket", kwargs={"number": ticket.number}),
                               {"body": "Any update on this?"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["tia@northwind.example"] and "Any update on this?" in message.body
