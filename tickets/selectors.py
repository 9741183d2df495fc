"""Read queries of tickets (technician pages; the portal has its own in portal.selectors)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.permissions import MATRIX, Op
from opsmerge.tenancy import msp_get_or_404

from .models import Ticket, TicketAttachment, TicketComment
from .sla.state import with_next_due


def ticket_list(*, msp) -> QuerySet[Ticket]:
    """Tickets of `msp` with the list columns' relations and the next SLA due time
    (tickets.tables.TicketTable)."""
    return with_next_due(Ticket.objects.filter(msp=msp).select_related("client", "contact", "site", "assigned_to"))


def ticket_get(*, msp, pk) -> Ticket:
    """A ticket of `msp` or 404 (missing and foreign alike)."""
    return msp_get_or_404(Ticket.objects.with_sla().select_related("client", "contact", "site", "asset",
                                                                   "assigned_to"), msp=msp, pk=pk)


def ticket_comments(*, msp, ticket: Ticket) -> QuerySet[TicketComment]:
    """The conversation, oldest first, with authors and attachments."""
    attachments = TicketAttachment.objects.filter(msp=msp).order_by("pk")
    return (TicketComment.objects.filter(msp=msp, ticket=ticket)
            .select_related("author_user", "author_contact")
            .prefetch_related(Prefetch("attachments", queryset=attachments)))


def ticket_attachments(*, msp, ticket: Ticket) -> QuerySet[TicketAttachment]:
    """Files attached to the ticket itself (not to a comment)."""
    return TicketAttachment.objects.filter(msp=msp, ticket=ticket, comment__isnull=True)


def ticket_attachment_get(*, msp, ticket_pk, pk) -> TicketAttachment:
    """An attachment of ticket `ticket_pk` of `msp`, or 404."""
    return msp_get_or_404(TicketAttachment.objects.all(), msp=msp, pk=pk, ticket_id=ticket_pk)


def technicians(*, msp) -> QuerySet[User]:
    """Staff of `msp` who may work tickets: the assignee choices of a new ticket."""
    return (User.objects.filter(msp=msp, is_active=True, role__in=MATRIX[Op.TICKET_WORK])
            .order_by("full_name", "email"))
