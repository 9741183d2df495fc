"""The acknowledgement a sender gets when their email opened a ticket: our
reference in the subject and a Message-ID naming the ticket, so their next email
threads; marked Auto-Submitted: auto-replied so well-behaved systems never answer it."""

from __future__ import annotations

from opsmerge.emails import send_templated
from tickets.models import Ticket
from tickets.notifications import ticket_email_headers


def reply_address(*, msp) -> list[str] | None:
    """Where customers' replies should go: the polled mailbox's address, else the
    MSP's support address (None: the sender's own)."""
    from .models import Mailbox

    address = (Mailbox.objects.filter(msp=msp, is_active=True).exclude(address="")
               .values_list("address", flat=True).first())
    address = address or msp.support_email
    return [address] if address else None


def ack_send(*, msp, ticket_id: int, to: str, in_reply_to: str = "") -> bool:
    ticket = Ticket.objects.filter(msp=msp, pk=ticket_id).first()
    if ticket is None:
        return False
    headers = {**ticket_email_headers(ticket), "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if in_reply_to:
        headers.update({"In-Reply-To": in_reply_to, "References": in_reply_to})
    send_templated(template="mail/email/ack", to=[to], context={"msp": msp, "ticket": ticket},
                   reply_to=reply_address(msp=msp), headers=headers)
    return True
