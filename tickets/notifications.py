"""Who on the MSP's side hears about a ticket, by email: the team for VIP tickets
(seed 000), the assigned technician for a contact's reply. The contact hears about a
technician's public reply from the portal app (portal.notifications), which listens
to tickets.signals.ticket_comment_added."""

from __future__ import annotations

import re
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from opsmerge.emails import absolute_url, send_templated

from .models import Ticket, TicketComment

TEAM_ROLES = (Role.SUPER_ADMIN, Role.ADMIN, Role.MSP_ADMIN)

# Our reference in the subject of every email about a ticket, and the Message-ID we
# give such an email: a reply (subject kept, or In-Reply-To / References) threads
# onto the ticket (integrations.mail reads both back).
SUBJECT_REFERENCE = re.compile(r"\[#(\d{1,9})\]")
MESSAGE_ID_REFERENCE = re.compile(r"\.opsmerge-t(\d+)-(\d{1,9})@")


def ticket_reference(ticket: Ticket) -> str:
    return f"[#{ticket.number}]"


def ticket_message_id(ticket: Ticket) -> str:
    """A fresh Message-ID that names the ticket: <….opsmerge-t<msp>-<number>@host>."""
    host = urlsplit(settings.SITE_URL).hostname or "opsmerge.local"
    return make_msgid(idstring=f"opsmerge-t{ticket.msp_id}-{ticket.number}", domain=host)


def ticket_email_headers(ticket: Ticket) -> dict[str, str]:
    return {"Message-ID": ticket_message_id(ticket)}


def team_recipients(*, msp) -> list[str]:
    """The MSP's support address, else its admins."""
    if msp.support_email:
        return [msp.support_email]
    return list(User.objects.filter(msp=msp, is_active=True, role__in=TEAM_ROLES)
                .order_by("email").values_list("email", flat=True))


def vip_recipients(*, msp, ticket: Ticket) -> list[str]:
    """The MSP's support address and the client's account manager; the MSP's admins
    when neither is set."""
    emails = [msp.support_email] if msp.support_email else []
    manager = ticket.client.account_manager if ticket.client_id else None
    if manager is not None and manager.is_active:
        emails.append(manager.email)
    return sorted(set(emails or team_recipients(msp=msp)))


def vip_ticket_notify(*, msp, ticket_id: int) -> int:
    ticket = (Ticket.objects.select_related("client__account_manager", "contact")
              .filter(msp=msp, pk=ticket_id).first())
    if ticket is None:
        return 0
    to = vip_recipients(msp=msp, ticket=ticket)
    if to:
        send_templated(template="tickets/email/vip_ticket", to=to, context={
            "msp": msp, "ticket": ticket, "url": absolute_url(reverse("tickets:detail", kwargs={"pk": ticket.pk})),
        }, headers=ticket_email_headers(ticket))
    return len(to)


def contact_reply_notify_assignee(*, msp, comment_id: int) -> bool:
    """Email the ticket's assignee that the contact replied. Nobody when the ticket is
    unassigned (it shows as Open in the team's list) or the assignee left."""
    comment = (TicketComment.objects.select_related("ticket__assigned_to", "ticket__client", "author_contact")
               .prefetch_related("attachments")
               .filter(msp=msp, pk=comment_id, author_contact__isnull=False, is_internal=False).first())
    assignee = comment.ticket.assigned_to if comment is not None else None
    if assignee is None or not assignee.is_active or assignee.msp_id != msp.pk or not assignee.email:
        return False
    ticket = comment.ticket
    send_templated(template="tickets/email/contact_reply", to=[assignee.email], context={
        "msp": msp, "ticket": ticket, "comment": comment, "contact": comment.author_contact, "assignee": assignee,
        "attachments": list(comment.attachments.all()),
        "url": absolute_url(reverse("tickets:detail", kwargs={"pk": ticket.pk})),
    }, headers=ticket_email_headers(ticket))
    return True
