"""Writes on tickets: create (per-MSP numbers, VIP priority, archived clients
blocked) and comments. Portal, technicians, email and the API all come through here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clients.services import client_assert_open, client_touch_activity
from opsmerge.audit import audit_record

from .models import Ticket, TicketComment, TicketSequence

_PRIORITY_ORDER = [p.value for p in Ticket.Priority]
VIP_PRIORITY = Ticket.Priority.HIGH


def _next_number(msp) -> int:
    TicketSequence.objects.bulk_create([TicketSequence(msp=msp)], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TicketSequence._meta.db_table} SET last_number = last_number + 1 "  # noqa: S608 - table name
            "WHERE msp_id = %s RETURNING last_number",
            [msp.pk],
        )
        return cursor.fetchone()[0]


def _raise_to(priority: str, floor: str) -> str:
    if floor and _PRIORITY_ORDER.index(floor) > _PRIORITY_ORDER.index(priority):
        return floor
    return priority


@transaction.atomic
def ticket_create(*, msp, subject: str, client=None, contact=None, site=None, asset=None, description: str = "",
                  priority: str = Ticket.Priority.NORMAL, source: str = Ticket.Source.TECHNICIAN,
                  actor=None, assigned_to=None) -> Ticket:
    """Create a ticket. The client's priority floor and the contact's VIP flag raise
    the priority (seed 000); archived clients and deleted contacts are refused."""
    if contact is not None:
        if contact.msp_id != msp.pk or contact.deleted_at is not None:
            raise ValidationError({"contact": "Unknown contact."})
        client = client or contact.client
        if contact.client_id and client is not None and contact.client_id != client.pk:
            raise ValidationError({"contact": "This contact belongs to another client."})
    if client is not None and client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    client_assert_open(client)
    for name, obj in (("site", site), ("asset", asset)):
        if obj is not None and (obj.msp_id != msp.pk or (client and obj.client_id != client.pk)):
            raise ValidationError({name: f"That {name} does not belong to this client."})
    if not subject.strip():
        raise ValidationError({"subject": "Give the ticket a subject."})
    if priority not in _PRIORITY_ORDER:
        raise ValidationError({"priority": "Unknown priority."})
    if client is not None:
        priority = _raise_to(priority, client.priority_floor)
    if contact is not None and contact.is_vip:
        priority = _raise_to(priority, VIP_PRIORITY)
    ticket = Ticket(msp=msp, number=_next_number(msp), client=client, contact=contact, site=site, asset=asset,
                    subject=subject.strip()[:255], description=description, priority=priority, source=source,
                    created_by=actor if getattr(actor, "_meta", None) and actor._meta.label == "accounts.User"
                    else None, assigned_to=assigned_to)
    ticket.full_clean(exclude=["msp", "client", "contact", "site", "asset", "assigned_to", "created_by"])
    ticket.save()
    if client is not None:
        client_touch_activity(client=client)
    audit_record(msp=msp, actor=actor if ticket.created_by else None,
                 actor_label="" if ticket.created_by else str(contact or actor or "system"),
                 action="ticket.create", obj=ticket,
                 changes={"subject": ticket.subject, "priority": ticket.priority, "source": ticket.source})
    return ticket


@transaction.atomic
def ticket_comment_add(*, msp, ticket: Ticket, body: str, author_user=None, author_contact=None,
                       is_internal: bool = False) -> TicketComment:
    if ticket.msp_id != msp.pk:
        raise ValidationError("Unknown ticket.")
    if not body.strip():
        raise ValidationError({"body": "Write a message first."})
    if author_contact is not None and is_internal:
        raise ValidationError({"is_internal": "Contacts cannot write internal notes."})
    comment = TicketComment.objects.create(msp=msp, ticket=ticket, body=body, author_user=author_user,
                                           author_contact=author_contact, is_internal=is_internal)
    updates = {"updated_at": timezone.now()}
    if author_contact is not None and ticket.status == Ticket.Status.WAITING:
        updates["status"] = Ticket.Status.OPEN
    Ticket.objects.filter(msp=msp, pk=ticket.pk).update(**updates)
    if ticket.client_id:
        client_touch_activity(client=ticket.client)
    return comment
