"""The "Unassigned" triage queue: tickets without a client (mail nobody matched,
archived clients' mail). A technician assigns one to a client from the ticket page;
the sender becomes the ticket's contact when they are a contact of that client."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from clients.services import client_assert_open
from contacts.models import Contact
from opsmerge.audit import audit_record
from tickets.models import Ticket

from .models import InboundMessage

NO_CLIENT = "unassigned"
QUEUE_CHOICES = ((NO_CLIENT, "Unassigned (no client)"),)


def filter_queue(queryset, value: str):
    return queryset.filter(client__isnull=True) if value == NO_CLIENT else queryset


def ticket_sender(*, msp, ticket: Ticket) -> InboundMessage | None:
    """The email that opened the ticket, if one did."""
    return (InboundMessage.objects.filter(msp=msp, ticket=ticket, status__in=[InboundMessage.Status.TICKET,
                                                                                InboundMessage.Status.TRIAGE])
            .order_by("pk").first())


@transaction.atomic
def ticket_assign_client(*, msp, ticket: Ticket, client, actor) -> Ticket:
    if ticket.msp_id != msp.pk or client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    current = Ticket.objects.select_for_update().get(msp=msp, pk=ticket.pk)
    if current.client_id is not None:
        raise ValidationError({"client": f"Ticket #{current.number} already belongs to a client."})
    client_assert_open(client)
    contact = None
    inbound = ticket_sender(msp=msp, ticket=current)
    if inbound is not None and inbound.from_address:
        contact = (Contact.objects.filter(msp=msp, client=client, deleted_at__isnull=True)
                   .alias(email_ci=Lower("email")).filter(email_ci=inbound.from_address).first())
    Ticket.objects.filter(msp=msp, pk=current.pk).update(client=client, contact=contact)
    audit_record(msp=msp, actor=actor, action="ticket.assign_client", obj=current,
                 changes={"client": [None, client.name], "contact": [None, str(contact) if contact else None]})
    ticket.client, ticket.contact = client, contact
    return ticket


def triage_panel(*, msp, obj) -> dict:
    """The ticket page's email card: who sent it, and for a triage ticket the
    assign-to-client form."""
    from clients.models import Client

    inbound = ticket_sender(msp=msp, ticket=obj) if obj.source == Ticket.Source.EMAIL else None
    clients = (Client.objects.filter(msp=msp).not_archived().order_by("name").only("pk", "name")
               if obj.client_id is None else None)
    return {"inbound": inbound, "triage_clients": clients}
