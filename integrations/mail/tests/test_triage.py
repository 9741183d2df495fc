"""The triage queue: the tickets list's "Unassigned (no client)" filter, the ticket
page's email card and the assign-to-client action."""

from __future__ import annotations

import pytest

from clients.lifecycle import client_archive
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from integrations.mail.models import InboundMessage
from integrations.mail.services import inbound_receive
from opsmerge.tenancy import msp_scope
from tickets.models import Ticket
from tickets.services import ticket_create

from .messages import email_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def triage_ticket(msp):
    with msp_scope(msp):
        received = inbound_receive(msp=msp, raw=email_bytes(sender="pat@newco.test", subject="Who am I"),
                                   source=InboundMessage.Source.WEBHOOK)
    assert received.message.status == "triage"
    return received.message.ticket


def test_unassigned_filter_lists_only_tickets_without_a_client(web, msp, triage_ticket):
    client = ClientFactory(msp=msp, name="Acme Ltd")
    with msp_scope(msp):
        ticket_create(msp=msp, client=client, subject="Has a client")
    page = web.get("/tickets/?queue=unassigned").content.decode()
    assert "Who am I" in page and "Has a client" not in page
    assert "Unassigned (no client)" in page
    assert "Has a client" in web.get("/tickets/").content.decode()


def test_assign_a_triage_ticket_to_a_client(web, msp, user, triage_ticket):
    client = ClientFactory(msp=msp, name="NewCo")
    pat = ContactFactory(msp=msp, client=client, email="PAT@newco.test")
    page = web.get(f"/tickets/{triage_ticket.pk}/").content.decode()
    assert "pat@newco.test" in page and "Assign to client" in page
    response = web.post(f"/mail/tickets/{triage_ticket.pk}/assign-client/", {"client": client.pk})
    assert response.status_code == 302
    with msp_scope(msp):
        triage_ticket.refresh_from_db()
    assert (triage_ticket.client, triage_ticket.contact) == (client, pat)
    # already assigned: refused with a message, never a 500
    again = web.post(f"/mail/tickets/{triage_ticket.pk}/assign-client/", {"client": client.pk}, follow=True)
    assert "already belongs to a client" in again.content.decode()
    assert "Assign to client" not in again.content.decode()


def test_assign_refuses_archived_clients_and_garbage(web, msp, user, triage_ticket):
    old = ClientFactory(msp=msp, name="Old Co")
    with msp_scope(msp):
        client_archive(msp=msp, client=old, actor=user)
    page = web.post(f"/mail/tickets/{triage_ticket.pk}/assign-client/", {"client": old.pk}, follow=True)
    assert "archived" in page.content.decode()
    page = web.post(f"/mail/tickets/{triage_ticket.pk}/assign-client/", {"client": "x"}, follow=True)
    assert "Choose a client" in page.content.decode()
    with msp_scope(msp):
        assert Ticket.objects.get(pk=triage_ticket.pk).client is None
