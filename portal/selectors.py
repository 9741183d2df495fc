"""What a signed-in contact may see: always within its MSP and client; tickets are
its own unless the contact may see all of the client's; internal notes never."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from assets.models import Asset
from tickets.models import Ticket, TicketAttachment, TicketComment

from .services import PortalIdentity


def portal_tickets(identity: PortalIdentity) -> QuerySet[Ticket]:
    contact = identity.contact
    qs = Ticket.objects.filter(msp=identity.msp, client_id=contact.client_id)
    if not contact.portal_sees_all_tickets:
        qs = qs.filter(contact=contact)
    return qs.select_related("contact").order_by("-created_at", "-pk")


def portal_ticket_get(identity: PortalIdentity, number: int) -> Ticket:
    ticket = portal_tickets(identity).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


def portal_comments(identity: PortalIdentity, ticket: Ticket) -> QuerySet[TicketComment]:
    return (TicketComment.objects.filter(msp=identity.msp, ticket=ticket, is_internal=False)
            .select_related("author_user", "author_contact")
            .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.filter(msp=identity.msp)
                                                .order_by("pk"))))


def portal_attachment_get(identity: PortalIdentity, pk: int) -> TicketAttachment:
    """An attachment of a ticket the contact may see, never one of an internal note."""
    attachment = (TicketAttachment.objects.filter(msp=identity.msp, pk=pk,
                                                  ticket__in=portal_tickets(identity).values("pk"))
                  .filter(Q(comment__isnull=True) | Q(comment__is_internal=False)).first())
    if attachment is None:
        raise Http404
    return attachment


def portal_assets(identity: PortalIdentity) -> QuerySet[Asset]:
    return (Asset.objects.filter(msp=identity.msp, client_id=identity.contact.client_id, contact=identity.contact,
                                 is_active=True, removed_at__isnull=True)
            .select_related("site").order_by("name"))
