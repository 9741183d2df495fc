"""SLA writes: a ticket's clock events, and the MSP's policies and settings.

Clock events (called by tickets.services inside its transaction):
- first response: the first public reply of a technician, or the first status change
  out of New, whichever comes first (an internal note is not a response);
- the resolution clock stops while the ticket is Waiting on the client, Resolved or
  Closed, and resumes when it is open again (a contact's reply reopens it): the
  business time it was stopped is added to `sla_paused_seconds` and pushes the
  resolution due time. So reopening a resolved ticket resumes its clock where it
  stopped; the time it spent resolved is not counted;
- the first-response clock never pauses (leaving New is itself a response).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clients.services import client_assert_open
from opsmerge.audit import audit_record, diff, snapshot

from ..models import PRIORITY_TARGET_FIELDS, SlaPolicy, SlaSettings, Ticket, TicketSlaDue
from .calendars import calendar_for_ticket
from .policies import sla_client_policy, sla_default_policy, sla_settings_get
from .priority import DEFAULT_MATRIX, PRIORITY_ORDER, matrix_full
from .recompute import AROUND_THE_CLOCK, sla_lock, sla_recompute

SLA_INPUTS = ["first_responded_at", "sla_paused_at", "sla_paused_seconds"]
POLICY_FIELDS = ["business_hours", *(f for fields in PRIORITY_TARGET_FIELDS.values() for f in fields.values())]


def sla_ticket_changed(*, msp, ticket: Ticket, old_status: str | None, now: dt.datetime | None = None,
                       responded: bool = False) -> Ticket:
    """Record the clock events of a write that just happened to `ticket` (new ticket:
    old_status None) and recompute its due times. `responded`: a technician's public reply."""
    now = now or timezone.now()
    sla_lock(msp)
    fields: dict[str, Any] = {}
    left_new = old_status == Ticket.Status.NEW and ticket.status != Ticket.Status.NEW
    if ticket.first_responded_at is None and (responded or left_new):
        fields["first_responded_at"] = now
    stopped = ticket.status in Ticket.SLA_PAUSED_STATUSES
    if stopped and ticket.sla_paused_at is None:
        fields["sla_paused_at"] = now
    elif not stopped and ticket.sla_paused_at is not None:
        policy = (ticket.client_id and sla_client_policy(msp=msp, client=ticket.client)) or sla_default_policy(msp=msp)
        calendar = calendar_for_ticket(msp=msp, ticket=ticket) if policy.business_hours else AROUND_THE_CLOCK
        fields["sla_paused_seconds"] = ticket.sla_paused_seconds + int(
            calendar.between(ticket.sla_paused_at, now).total_seconds())
        fields["sla_paused_at"] = None
    if fields:
        Ticket.objects.filter(msp=msp, pk=ticket.pk).update(**fields)
        for name, value in fields.items():
            setattr(ticket, name, value)
    if ticket.status in Ticket.OPEN_STATUSES:
        sla_recompute(msp=msp, ticket_ids=[ticket.pk])
    sla_due_load(msp=msp, ticket=ticket)
    return ticket


def sla_due_load(*, msp, ticket: Ticket) -> Ticket:
    """Put the ticket's stored due times on it (as Ticket.objects.with_sla() does)."""
    due = TicketSlaDue.objects.filter(msp=msp, ticket=ticket).values_list("first_response_due", "resolution_due")
    ticket.first_response_due, ticket.resolution_due = due.first() or (None, None)
    return ticket


def _recompute_after_commit(msp, client_id: int | None) -> None:
    from ..services import _enqueue_after_commit
    from ..tasks import sla_recompute_task

    _enqueue_after_commit(sla_recompute_task, msp.pk, client_id)


def _clean_targets(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in POLICY_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name != "business_hours" and value is not None and (not isinstance(value, int) or value < 1):
            raise ValidationError({name: "Give a whole number of minutes (at least 1), or leave it blank."})
        out[name] = value
    return out


@transaction.atomic
def sla_policy_set(*, msp, client=None, actor=None, **values: Any) -> SlaPolicy:
    """Save the MSP's default policy (client None) or a client's override; the open
    tickets it governs are recomputed after commit. A client's override is refused
    while the client is archived (seed 003)."""
    if client is not None:
        if client.msp_id != msp.pk:
            raise ValidationError("Unknown client.")
        client_assert_open(client)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"sla_policy_set got unknown fields: {sorted(unknown)}")
    clean = _clean_targets(values)
    policy = SlaPolicy.objects.select_for_update().filter(msp=msp, client=client).first()
    if policy is None:
        base = sla_default_policy(msp=msp)  # an override starts from the default's targets
        policy = SlaPolicy(msp=msp, client=client, **{f: getattr(base, f) for f in POLICY_FIELDS})
    before = snapshot(policy, POLICY_FIELDS) if policy.pk else {}
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.save()
    changes = diff(before, snapshot(policy, POLICY_FIELDS))
    if changes:
        audit_record(msp=msp, actor=actor, action="sla_policy.update", obj=client or policy, changes=changes)
        _recompute_after_commit(msp, client.pk if client is not None else None)
    return policy


@transaction.atomic
def sla_policy_remove(*, msp, client, actor=None) -> bool:
    """Drop a client's override (its tickets follow the default again)."""
    if client.msp_id != msp.pk:
        raise ValidationError("Unknown client.")
    client_assert_open(client)
    deleted, _ = SlaPolicy.objects.filter(msp=msp, client=client).delete()
    if deleted:
        audit_record(msp=msp, actor=actor, action="sla_policy.remove", obj=client, changes={})
        _recompute_after_commit(msp, client.pk)
    return bool(deleted)


@transaction.atomic
def sla_settings_set(*, msp, actor=None, priority_matrix: dict | None = None, warn_before_minutes: int | None = None,
                     notify_email: str | None = None) -> SlaSettings:
    """Save the priority matrix ({"impact:urgency": priority}) and the warning settings."""
    current = sla_settings_get(msp=msp)
    before = snapshot(current, ["priority_matrix", "warn_before_minutes", "notify_email"]) if current.pk else {}
    if priority_matrix is not None:
        bad = [k for k, v in priority_matrix.items() if k not in DEFAULT_MATRIX or v not in PRIORITY_ORDER]
        if bad:
            raise ValidationError({"priority_matrix": f"Unknown cell or priority: {', '.join(sorted(bad))}."})
        current.priority_matrix = matrix_full(priority_matrix)
    if warn_before_minutes is not None:
        if not 1 <= warn_before_minutes <= 7 * 24 * 60:
            raise ValidationError({"warn_before_minutes": "Between 1 minute and a week."})
        current.warn_before_minutes = warn_before_minutes
    if notify_email is not None:
        current.notify_email = notify_email.strip()
    current.full_clean(exclude=["msp"])
    current.save()
    changes = diff(before, snapshot(current, ["priority_matrix", "warn_before_minutes", "notify_email"]))
    if changes:
        audit_record(msp=msp, actor=actor, action="sla_settings.update", obj=current, changes=changes)
    return current
