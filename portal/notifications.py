"""The contact hears about a technician's public reply to their ticket by email, with
a link to the ticket in the portal when the contact may use the portal (sent by the
portal.ticket_reply_notify task, queued by portal.receivers on
tickets.signals.ticket_comment_added)."""

from __future__ import annotations

from django.urls import reverse

from integrations.mail.notifications import reply_address
from opsmerge.emails import absolute_url, send_templated
from tickets.models import TicketComment
from tickets.notifications import ticket_email_headers

from .services import Access, portal_access


def reply_notify_contact(*, msp, comment_id: int) -> bool:
    comment = (TicketComment.objects.select_related("ticket__contact__client", "author_user")
               .filter(msp=msp, pk=comment_id, is_internal=False).first())
    if comment is None or comment.ticket.contact is None or not comment.ticket.contact.email:
        return False
    contact = comment.ticket.contact
    portal_url = ""
    if contact.deleted_at is None and portal_access(contact) is Access.OK:
        portal_url = absolute_url(reverse("portal:ticket", kwargs={"number": comment.ticket.number}))
    elif contact.deleted_at is not None or not contact.is_active:
        return False
    send_templated(template="tickets/email/reply", to=[contact.email], context={
        "msp": msp, "ticket": comment.ticket, "comment": comment, "contact": contact, "portal_url": portal_url,
    }, reply_to=reply_address(msp=msp), headers=ticket_email_headers(comment.ticket))
    return True
