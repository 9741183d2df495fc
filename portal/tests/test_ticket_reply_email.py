"""A technician's public reply is emailed to the ticket's contact by the portal app
(tickets.signals.ticket_comment_added → portal.receivers → portal.ticket_reply_notify),
with a portal link only for a contact who may use the portal."""

import logging

import pytest
from django.core import mail

from accounts.roles import Role
from opsmerge.tenancy import msp_scope, unscoped
from tickets.models import TicketComment
from tickets.services import ticket_comment_add
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tia(make_user):
    return make_user(role=Role.TECHNICIAN, full_name="Tia Tech", email="tia@northwind.example")


@pytest.fixture
def ticket(msp, portal_contact):
    return TicketFactory(msp=msp, client=portal_contact.client, contact=portal_contact, subject="Printer jam")


def reply(committed, ticket, **kwargs):
    with msp_scope(ticket.msp):
        return committed(ticket_comment_add, msp=ticket.msp, ticket=ticket, body="On my way", **kwargs)


def test_portal_user_gets_the_reply_with_a_portal_link(committed, ticket, tia):
    reply(committed, ticket, author_user=tia)
    (message,) = mail.outbox
    assert message.to == ["pat@acme.example"] and "On my way" in message.body
    assert f"/portal/tickets/{ticket.number}/" in message.body


def test_contact_without_portal_access_gets_the_reply_without_a_link(committed, ticket, tia, portal_contact):
    portal_contact.is_portal_user = False
    portal_contact.save(update_fields=["is_portal_user"])
    reply(committed, ticket, author_user=tia)
    (message,) = mail.outbox
    assert "On my way" in message.body and "/portal/" not in message.body


def test_internal_notes_and_the_contacts_own_replies_are_not_emailed_to_the_contact(committed, ticket, tia,
                                                                                      portal_contact):
    reply(committed, ticket, author_user=tia, is_internal=True)
    reply(committed, ticket, author_contact=portal_contact)
    assert mail.outbox == []


def test_broker_outage_keeps_the_reply_and_is_logged(committed, ticket, tia, monkeypatch, caplog):
    from portal import tasks

    def broker_down(*args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.ticket_reply_notify, "delay", broker_down)
    with caplog.at_level(logging.ERROR, logger="opsmerge.portal"):
        comment = reply(committed, ticket, author_user=tia)
    with unscoped("test"):
        assert TicketComment.objects.filter(pk=comment.pk).exists()
    assert "portal.ticket_reply_notify" in caplog.text and mail.outbox == []
