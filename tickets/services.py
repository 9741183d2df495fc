"""Writes on tickets: create (per-MSP numbers, VIP priority, archived clients
blocked) and comments. Portal, technicians, email and the API all come through here."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clients.services import client_assert_open, client_touch_activity
from opsmerge.audit import audit_record, diff, snapshot

from .attachments import attachments_check
from .models import Ticket, TicketAttachment, TicketComment, TicketSequence
from .signals import ticket_comment_added
from .sla.policies import sla_settings_get
from .sla.priority import LEVELS, PRIORITY_ORDER, ticket_priority
from .sla.services import SLA_INPUTS, sla_due_load, sla_ticket_changed

log = logging.getLogger("opsmerge.tickets")

_PRIORITY_ORDER = PRIORITY_ORDER


def _next_number(msp) -> int:
    TicketSequence.objects.bulk_create([TicketSequence(msp=msp)], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TicketSequence._meta.db_table} SET last_number = last_number + 1 "  # noqa: S608 - table name
            "WHERE msp_id = %s RETURNING last_number",
            [msp.pk],
        )
        return cursor.fetchone()[0]


@transaction.atomic
def ticket_create(*, msp, subject: str, client=None, contact=None, site=None, asset=None, description: str = "",
                  priority: str = Ticket.Priority.NORMAL, source: str = Ticket.Source.TECHNICIAN,
                  actor=None, assigned_to=None, attachments=(), impact: str = "", urgency: str = "") -> Ticket:
    """Create a ticket. With impact and urgency the MSP's priority matrix sets the
    priority; the client's priority floor and the contact's VIP flag raise it (seed
    000); archived clients and deleted contacts are refused. The SLA clock starts
    (tickets.sla). Tickets of VIP contacts notify the MSP team by email (after commit)."""
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
    _check_levels(impact=impact, urgency=urgency)
    if assigned_to is not None and (assigned_to.msp_id != msp.pk or not assigned_to.is_active):
        raise ValidationError({"assigned_to": "Choose an active technician of your MSP."})
    checked = attachments_check(attachments)
    priority = ticket_priority(priority=priority, impact=impact, urgency=urgency,
                               matrix=sla_settings_get(msp=msp).priority_matrix if impact and urgency else None,
                               floor=client.priority_floor if client is not None else "",
                               vip=contact is not None and contact.is_vip)
    ticket = Ticket(msp=msp, number=_next_number(msp), client=client, contact=contact, site=site, asset=asset,
                    subject=subject.strip()[:255], description=description, priority=priority, source=source,
                    impact=impact, urgency=urgency,
                    created_by=actor if getattr(actor, "_meta", None) and actor._meta.label == "accounts.User"
                    else None, assigned_to=assigned_to)
    ticket.full_clean(exclude=["msp", "client", "contact", "site", "asset", "assigned_to", "created_by"])
    ticket.save()
    sla_ticket_changed(msp=msp, ticket=ticket, old_status=None, now=ticket.created_at)
    _attachments_save(msp=msp, ticket=ticket, checked=checked)
    if client is not None:
        client_touch_activity(client=client)
    if contact is not None and contact.is_vip:
        from .tasks import ticket_vip_notify

        _enqueue_after_commit(ticket_vip_notify, msp.pk, ticket.pk)
    audit_record(msp=msp, actor=actor if ticket.created_by else None,
                 actor_label="" if ticket.created_by else str(contact or actor or "system"),
                 action="ticket.create", obj=ticket,
                 changes={"subject": ticket.subject, "priority": ticket.priority, "source": ticket.source})
    return ticket


def _check_levels(**levels: str) -> None:
    for name, value in levels.items():
        if value and value not in LEVELS:
            raise ValidationError({name: f"Unknown {name}."})


def _attachments_save(*, msp, ticket: Ticket, checked, comment: TicketComment | None = None) -> None:
    for upload, name, content_type in checked:
        attachment = TicketAttachment(msp=msp, ticket=ticket, comment=comment, name=name,
                                      content_type=content_type, size=upload.size)
        attachment.file.save(name, upload, save=False)
        attachment.save()


@transaction.atomic
def ticket_comment_add(*, msp, ticket: Ticket, body: str, author_user=None, author_contact=None,
                       is_internal: bool = False, attachments=()) -> TicketComment:
    """Add a message to a ticket's conversation. A contact's reply reopens a ticket
    waiting on them or resolved and emails the assigned technician. After commit,
    `ticket_comment_added` is sent: the portal emails a technician's public reply to
    the contact."""
    if ticket.msp_id != msp.pk:
        raise ValidationError("Unknown ticket.")
    if not body.strip():
        raise ValidationError({"body": "Write a message first."})
    if author_contact is not None and is_internal:
        raise ValidationError({"is_internal": "Contacts cannot write internal notes."})
    if author_contact is not None and ticket.status == Ticket.Status.CLOSED:
        raise ValidationError({"body": "This ticket is closed. Raise a new ticket instead."})
    checked = attachments_check(attachments)
    comment = TicketComment.objects.create(msp=msp, ticket=ticket, body=body, author_user=author_user,
                                           author_contact=author_contact, is_internal=is_internal)
    _attachments_save(msp=msp, ticket=ticket, checked=checked, comment=comment)
    updates = {"updated_at": timezone.now()}
    old_status = ticket.status
    if author_contact is not None and ticket.status in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
        updates.update(status=Ticket.Status.OPEN, resolved_at=None)
    Ticket.objects.filter(msp=msp, pk=ticket.pk).update(**updates)
    for name, value in updates.items():
        setattr(ticket, name, value)
    responded = author_user is not None and not is_internal
    if responded or ticket.status != old_status:
        sla_ticket_changed(msp=msp, ticket=ticket, old_status=old_status, now=updates["updated_at"],
                           responded=responded)
    if ticket.client_id:
        client_touch_activity(client=ticket.client)
    audit_record(msp=msp, actor=author_user, actor_label="" if author_user else str(author_contact or ""),
                 action="ticket.note" if is_internal else "ticket.reply", obj=ticket,
                 changes={"comment": comment.pk, "attachments": len(checked)})
    transaction.on_commit(lambda: ticket_comment_added.send(sender=TicketComment, msp=msp, ticket=ticket,
                                                            comment=comment))
    if author_contact is not None and ticket.assigned_to_id:
        # The assignee hears about the contact's reply; an unassigned ticket emails
        # nobody new (it is in the team's list, status Open) — docs/portal.md.
        from .tasks import ticket_contact_reply_notify

        _enqueue_after_commit(ticket_contact_reply_notify, msp.pk, comment.pk)
    return comment


def _enqueue_after_commit(task, *args) -> None:
    """Queue a task (an email, an SLA recompute) once the write committed. The write
    stands even when the broker is down: that is logged, never a 500 for a reply
    already saved."""

    def enqueue():
        try:
            task.delay(*args)
        except Exception:
            log.exception("email task %s%s could not be queued", task.name, args)

    transaction.on_commit(enqueue)


@transaction.atomic
def ticket_update(*, msp, ticket: Ticket, actor, **fields) -> Ticket:
    """Change status, priority, impact / urgency or assignee (technicians). Audited
    with a diff. A changed impact or urgency, both set, re-applies the priority matrix
    (then the client's floor and VIP); the SLA clock follows (tickets.sla.services)."""
    allowed = {"status", "priority", "assigned_to", "impact", "urgency"}
    if set(fields) - allowed:
        raise TypeError(f"ticket_update got unknown fields: {sorted(set(fields) - allowed)}")
    if ticket.msp_id != msp.pk:
        raise ValidationError("Unknown ticket.")
    if "status" in fields and fields["status"] not in Ticket.Status.values:
        raise ValidationError({"status": "Unknown status."})
    if "priority" in fields and fields["priority"] not in _PRIORITY_ORDER:
        raise ValidationError({"priority": "Unknown priority."})
    _check_levels(**{k: v for k, v in fields.items() if k in ("impact", "urgency")})
    assignee = fields.get("assigned_to")
    if assignee is not None and (assignee.msp_id != msp.pk or not assignee.is_active):
        raise ValidationError({"assigned_to": "Choose an active technician of your MSP."})
    tracked = ["status", "priority", "assigned_to", "resolved_at", "impact", "urgency"]
    # Locked and re-read: the diff (and the audit) is against what is in the
    # database now, not a stale copy, and a failed audit leaves no half-write.
    current = Ticket.objects.select_for_update().get(msp=msp, pk=ticket.pk)
    before = snapshot(current, tracked)
    old_status = current.status
    for name, value in fields.items():
        setattr(current, name, value)
    levels_changed = any(getattr(current, n) != before[n] for n in ("impact", "urgency") if n in fields)
    if levels_changed and current.impact and current.urgency:
        current.priority = ticket_priority(
            priority=current.priority, impact=current.impact, urgency=current.urgency,
            matrix=sla_settings_get(msp=msp).priority_matrix,
            floor=current.client.priority_floor if current.client_id else "",
            vip=bool(current.contact_id and current.contact.is_vip))
        fields = {**fields, "priority": current.priority}
    now = timezone.now()
    if current.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        current.resolved_at = current.resolved_at or now
    else:
        current.resolved_at = None
    changes = diff(before, snapshot(current, tracked))
    if changes:
        current.save(update_fields=[*fields, "resolved_at", "updated_at"])
        audit_record(msp=msp, actor=actor, action="ticket.update", obj=current, changes=changes)
        if {"status", "priority"} & set(changes):
            sla_ticket_changed(msp=msp, ticket=current, old_status=old_status, now=now)
    for name in [*tracked, *SLA_INPUTS, "updated_at"]:
        setattr(ticket, name, getattr(current, name))
    return sla_due_load(msp=msp, ticket=ticket)
