"""Inbound email → tickets (issue 17 item 2). One entry point for every transport
(IMAP poll, relay webhook): `inbound_receive(msp=, raw=, source=…)`.

- Recorded once: the InboundMessage row (unique per MSP + Message-ID) is written in
  the same transaction as the ticket or comment, so a re-run or a second delivery of
  the same message creates nothing new.
- Machine mail (auto-replies, bounces, our own messages) is recorded as ignored:
  never a ticket, never answered.
- A reply threads onto its ticket by our Message-ID (In-Reply-To / References), by
  the Message-ID of an earlier email of the thread, or by "[#<number>]" in the
  subject. A contact of the ticket's client replies publicly as themselves; anybody
  else's reply on a thread becomes an internal note naming the sender.
- A new email opens a ticket: sender → contact by address, else client by the
  sender's domain (ClientDomain), else the "Unassigned" triage queue (no client).
  Archived clients' mail goes to triage with a note.
- Anything unreadable or refused is recorded as failed with the reason (Settings →
  Email lists them); never an exception to the transport.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from clients.models import ClientDomain
from contacts.models import Contact
from opsmerge import ratelimit
from tickets.attachments import attachment_check, clean_name, max_files
from tickets.models import Ticket
from tickets.services import ticket_comment_add, ticket_create

from .models import InboundMessage, Mailbox
from .parsing import Parsed, Unreadable, message_key, parse, strip_quoted

log = logging.getLogger("opsmerge.mail")

ACK_LIMIT = ratelimit.Limit("mail-ack", max_attempts=5, window_seconds=3600)
Status = InboundMessage.Status


@dataclass
class Received:
    message: InboundMessage
    created: bool  # False: this Message-ID was already recorded (nothing done)


def _record_only(*, msp, key: str, status: str, reason: str, **fields) -> Received:
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(msp=msp, message_id=key, status=status, reason=reason[:2000],
                                                **fields)
    except IntegrityError:
        return Received(InboundMessage.objects.get(msp=msp, message_id=key), False)
    return Received(row, True)


def inbound_receive(*, msp, raw: bytes, source: str, uid: int | None = None, uidvalidity: int | None = None,
                    own_addresses: frozenset[str] = frozenset()) -> Received:
    """Turn one raw RFC 5322 message into a ticket, a comment, or a recorded refusal."""
    return inbound_receive_many(msp=msp, messages=[(raw, uid)], source=source, uidvalidity=uidvalidity,
                                own_addresses=own_addresses)[0]


@dataclass
class Directory:
    """What a batch of messages needs to know, read in one query each (recorded
    Message-IDs, contacts by address, clients by domain) rather than per message."""

    recorded: dict[str, InboundMessage]
    contacts: dict[str, Contact]
    domains: dict[str, object]

    @classmethod
    def load(cls, *, msp, keys: list[str], addresses: set[str]) -> Directory:
        recorded = {row.message_id: row for row in InboundMessage.objects.filter(msp=msp, message_id__in=keys)
                    .select_related("ticket")} if keys else {}
        contacts: dict[str, Contact] = {}
        if addresses:
            rows = (Contact.objects.filter(msp=msp, deleted_at__isnull=True).annotate(email_ci=Lower("email"))
                    .filter(email_ci__in=addresses).select_related("client").order_by("pk"))
            for contact in rows:  # a contact of an open client first, then the oldest
                best = contacts.get(contact.email_ci)
                if best is None or (best.client_id and best.client.is_archived and not (
                        contact.client_id and contact.client.is_archived)):
                    contacts[contact.email_ci] = contact
        candidates = {parent for address in addresses for parent in _parent_domains(address.rpartition("@")[2])}
        domains = ({d.domain: d.client for d in ClientDomain.objects.filter(msp=msp, domain__in=candidates)
                    .select_related("client")} if candidates else {})
        return cls(recorded=recorded, contacts=contacts, domains=domains)

    def client_for_domain(self, domain: str):
        """The client owning the sender's domain, or the nearest parent of it
        (mail.example.com → example.com)."""
        for candidate in _parent_domains(domain):
            if candidate in self.domains:
                return self.domains[candidate]
        return None


def _parent_domains(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def inbound_receive_many(*, msp, messages: list[tuple[bytes, int | None]], source: str,
                         uidvalidity: int | None = None, own_addresses: frozenset[str] = frozenset()
                         ) -> list[Received]:
    """`inbound_receive` for a batch (an IMAP fetch): one transaction per message,
    the lookups shared."""
    prepared = []
    for raw, uid in messages:
        fields = {"source": source, "uid": uid, "uidvalidity": uidvalidity, "size": len(raw)}
        if len(raw) > settings.MAIL_INBOUND_MAX_BYTES:
            prepared.append((message_key(raw, ""), fields, None,
                             f"Message of {len(raw)} bytes is over the limit of {settings.MAIL_INBOUND_MAX_BYTES} "
                             "bytes (MAIL_INBOUND_MAX_BYTES)."))
            continue
        try:
            parsed = parse(raw)
        except Unreadable as exc:
            prepared.append((message_key(raw, ""), fields, None, str(exc)))
            continue
        fields.update(from_address=parsed.from_address[:255], subject=parsed.subject[:255])
        prepared.append((message_key(raw, parsed.message_id), fields, parsed, ""))
    directory = Directory.load(msp=msp, keys=[key for key, *_ in prepared],
                               addresses={p.from_address for _, _, p, _ in prepared
                                          if p is not None and "@" in p.from_address and not p.auto_reason})
    results = []
    for key, fields, parsed, failure in prepared:
        if key in directory.recorded:
            results.append(Received(directory.recorded[key], False))
        elif parsed is None:
            results.append(_record_only(msp=msp, key=key, status=Status.FAILED, reason=failure, **fields))
        else:
            results.append(_receive(msp=msp, key=key, fields=fields, parsed=parsed, directory=directory,
                                    own_addresses=own_addresses))
    return results


def _receive(*, msp, key: str, fields: dict, parsed: Parsed, directory: Directory, own_addresses) -> Received:
    row = InboundMessage(msp=msp, message_id=key, **fields)
    try:
        # the row and what it produced commit together, or neither does
        with transaction.atomic():
            ack = _route(msp=msp, parsed=parsed, row=row, directory=directory, own_addresses=own_addresses)
            row.save()
            if ack:
                _ack_after_commit(msp=msp, row=row, parsed=parsed)
    except ValidationError as exc:  # refused by a ticket rule: nothing written but the record
        return _record_only(msp=msp, key=key, status=Status.FAILED, reason="; ".join(exc.messages), **fields)
    except IntegrityError:  # the same message, recorded by a concurrent delivery
        return Received(InboundMessage.objects.get(msp=msp, message_id=key), False)
    directory.recorded[key] = row
    return Received(row, True)


def _own_addresses(msp) -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    if msp.support_email:
        addresses.add(msp.support_email.lower())
    return addresses


def _route(*, msp, parsed: Parsed, row: InboundMessage, directory: Directory, own_addresses) -> bool:
    """Decide and write; returns whether the sender gets an acknowledgement."""
    if parsed.auto_reason:
        row.status, row.reason = Status.IGNORED, parsed.auto_reason
        return False
    if "@" not in parsed.from_address:
        raise ValidationError("The message has no sender address (From).")
    if parsed.from_address in own_addresses or parsed.from_address in _own_addresses(msp):
        row.status, row.reason = Status.IGNORED, "Sent from our own address (a loop)."
        return False
    contact = directory.contacts.get(parsed.from_address)
    ticket = _thread_ticket(msp=msp, parsed=parsed)
    if ticket is not None and _reply(msp=msp, parsed=parsed, row=row, ticket=ticket, contact=contact):
        return False
    return _new_ticket(msp=msp, parsed=parsed, row=row, contact=contact, directory=directory)


def _thread_ticket(*, msp, parsed: Parsed) -> Ticket | None:
    """The ticket this message answers: our Message-ID it replies to, an earlier email
    of the thread we recorded, or our "[#number]" in the subject — in that order."""
    numbers = parsed.referenced_ticket_numbers(msp.pk)
    if numbers:
        ticket = Ticket.objects.filter(msp=msp, number=numbers[0]).first()
        if ticket is not None:
            return ticket
    if parsed.references:
        earlier = (InboundMessage.objects.filter(msp=msp, message_id__in=parsed.references[-20:],
                                                 ticket__isnull=False)
                   .select_related("ticket").order_by("-received_at").first())
        if earlier is not None:
            return earlier.ticket
    subject_numbers = parsed.subject_numbers()
    if subject_numbers:
        return Ticket.objects.filter(msp=msp, number=subject_numbers[0]).first()
    return None


def _uploads(parsed: Parsed) -> tuple[list[ContentFile], list[str]]:
    """The attachments a ticket may keep (the ticket rules: type, content, size,
    count) and a line for each one refused."""
    kept, refused = [], []
    for attachment in parsed.attachments:
        upload = ContentFile(attachment.data, name=clean_name(attachment.name))
        try:
            attachment_check(upload)
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
            continue
        if len(kept) >= max_files():
            refused.append(f"{upload.name}: more than {max_files()} attachments.")
            continue
        kept.append(upload)
    return kept, refused


def _sender(parsed: Parsed) -> str:
    return f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address


def _refused_note(refused: list[str]) -> str:
    return ("\n\nAttachments not kept:\n" + "\n".join(f"- {line}" for line in refused)) if refused else ""


def _reply(*, msp, parsed: Parsed, row: InboundMessage, ticket: Ticket, contact: Contact | None) -> bool:
    """Comment on the thread's ticket. False when a new ticket must be opened instead
    (the contact wrote to a closed ticket)."""
    kept, refused = _uploads(parsed)
    body = strip_quoted(parsed.body) or parsed.body or "(empty message)"
    is_theirs = contact is not None and ticket.client_id is not None and (
        contact.pk == ticket.contact_id or contact.client_id == ticket.client_id)
    if is_theirs and ticket.status == Ticket.Status.CLOSED:
        return False
    if is_theirs:
        comment = ticket_comment_add(msp=msp, ticket=ticket, body=body + _refused_note(refused),
                                     author_contact=contact, attachments=kept)
        row.reason = ""
    else:
        comment = ticket_comment_add(
            msp=msp, ticket=ticket, is_internal=True, attachments=kept,
            body=f"Email from {_sender(parsed)} (not a contact of this ticket's client):\n\n{body}"
                 + _refused_note(refused))
        row.reason = "Sender is not a contact of the ticket's client: kept as an internal note."
    row.status, row.ticket, row.comment = Status.REPLY, ticket, comment
    return True


def _new_ticket(*, msp, parsed: Parsed, row: InboundMessage, contact: Contact | None, directory: Directory) -> bool:
    client = contact.client if contact is not None and contact.client_id else None
    if client is None:
        client = directory.client_for_domain(parsed.domain)
    notes = []
    if client is not None and client.is_archived:
        notes.append(f"{client.name} is archived: this email went to triage. Restore the client or assign "
                     "the ticket to another client.")
        client = contact = None
    if contact is not None and contact.client_id and client is not None and contact.client_id != client.pk:
        contact = None
    if client is None:
        notes.append(f"Email from {_sender(parsed)}: no contact or client email domain matched.")
    kept, refused = _uploads(parsed)
    description = parsed.body or "(empty message)"
    ticket = ticket_create(msp=msp, subject=parsed.subject or "(no subject)", client=client, contact=contact,
                           description=description, source=Ticket.Source.EMAIL, attachments=kept)
    if notes or refused:
        ticket_comment_add(msp=msp, ticket=ticket, is_internal=True,
                           body="\n".join(notes).strip() + _refused_note(refused))
    row.status = Status.TICKET if client is not None else Status.TRIAGE
    row.ticket = ticket
    row.reason = " ".join(notes)
    return client is not None


def _ack_after_commit(*, msp, row: InboundMessage, parsed: Parsed) -> None:
    """Acknowledge a new ticket to its sender, at most ACK_LIMIT times an hour per
    sender (a loop with a mail system that slips past the auto-reply checks stops)."""
    try:
        ratelimit.hit(ACK_LIMIT, f"{msp.pk}:{parsed.from_address}")
    except ratelimit.Blocked:
        log.info("acknowledgement to %s skipped: rate limit", parsed.from_address)
        return
    from .tasks import mail_ack_send

    ticket_id, to, in_reply_to = row.ticket_id, parsed.from_address, parsed.message_id

    def enqueue():
        try:
            mail_ack_send.delay(msp.pk, ticket_id, to, in_reply_to)
        except Exception:
            log.exception("acknowledgement for ticket %s could not be queued", ticket_id)

    transaction.on_commit(enqueue)


def mailbox_get(*, msp) -> Mailbox | None:
    return Mailbox.objects.filter(msp=msp).first()


MAILBOX_FIELDS = ("host", "port", "use_tls", "username", "folder", "address", "is_active")


@transaction.atomic
def mailbox_save(*, msp, actor, password: str = "", **fields) -> Mailbox:
    """Create or update the MSP's mailbox; a blank password keeps the stored one."""
    from opsmerge.audit import audit_record

    mailbox = Mailbox.objects.select_for_update().filter(msp=msp).first() or Mailbox(msp=msp)
    moved = any(getattr(mailbox, name) != fields[name] for name in ("host", "username", "folder") if name in fields)
    for name in MAILBOX_FIELDS:
        if name in fields:
            setattr(mailbox, name, fields[name])
    if password:
        mailbox.password = password
    if not mailbox.password:
        raise ValidationError({"password": "Give the mailbox password."})
    if moved and mailbox.pk:
        mailbox.uidvalidity, mailbox.last_uid = None, 0  # another mailbox: start from its first UID
    mailbox.full_clean(exclude=["msp"])
    mailbox.save()
    audit_record(msp=msp, actor=actor, action="mail.mailbox_save", obj=mailbox,
                 changes={name: str(getattr(mailbox, name)) for name in MAILBOX_FIELDS})
    return mailbox


def inbound_list(*, msp, status: str = "", limit: int = 50):
    qs = InboundMessage.objects.filter(msp=msp).select_related("ticket")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-received_at", "-pk")[:limit])
