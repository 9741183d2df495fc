"""Reading SLA policies and settings: the MSP default (a built-in one until the MSP
saves its own), a client's override, the effective policy of a ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from ..models import PRIORITY_TARGET_FIELDS, SlaPolicy, SlaSettings

HOUR = 60
# Business-hours minutes of the built-in default policy (docs/tickets.md "SLA").
DEFAULT_TARGETS = {
    "first_response": {"low": 8 * HOUR, "normal": 4 * HOUR, "high": 2 * HOUR, "urgent": HOUR},
    "resolution": {"low": 40 * HOUR, "normal": 24 * HOUR, "high": 8 * HOUR, "urgent": 4 * HOUR},
}


def _with_defaults(policy: SlaPolicy) -> SlaPolicy:
    for kind, fields in PRIORITY_TARGET_FIELDS.items():
        for priority, field in fields.items():
            setattr(policy, field, DEFAULT_TARGETS[kind][priority])
    return policy


def sla_default_policy(*, msp) -> SlaPolicy:
    """The MSP's default policy; unsaved built-in targets when it never saved one."""
    policy = SlaPolicy.objects.filter(msp=msp, client__isnull=True).first()
    return policy or _with_defaults(SlaPolicy(msp=msp))


def sla_client_policy(*, msp, client) -> SlaPolicy | None:
    """The client's own override, or None (the default applies)."""
    return SlaPolicy.objects.filter(msp=msp, client=client).first()


def sla_policies(*, msp, client_ids: Iterable[int]) -> tuple[SlaPolicy, dict[int, SlaPolicy]]:
    """(default, {client_id: override}) in one query for many clients."""
    ids = {c for c in client_ids if c is not None}
    default, overrides = None, {}
    rows = SlaPolicy.objects.filter(msp=msp, client__isnull=True) | SlaPolicy.objects.filter(msp=msp, client_id__in=ids)
    for policy in rows:
        if policy.client_id is None:
            default = policy
        else:
            overrides[policy.client_id] = policy
    return default or _with_defaults(SlaPolicy(msp=msp)), overrides


def sla_settings_get(*, msp) -> SlaSettings:
    """The MSP's SLA settings (unsaved defaults until it saves them)."""
    return SlaSettings.objects.filter(msp=msp).first() or SlaSettings(msp=msp)


def ticket_sla(*, msp, ticket, now=None) -> dict:
    """The ticket page's SLA card: both clocks in the ticket's calendar, and which
    policy and hours they follow (a few queries; the list uses tickets.sla.state only)."""
    from .calendars import calendar_for_ticket, zone_of
    from .clock import BusinessCalendar
    from .state import ticket_clocks

    override = sla_client_policy(msp=msp, client=ticket.client) if ticket.client_id else None
    policy = override or sla_default_policy(msp=msp)
    zone = zone_of(ticket.client.time_zone if ticket.client_id else None,
                   ticket.site.time_zone if ticket.site_id else None)
    calendar = calendar_for_ticket(msp=msp, ticket=ticket) if policy.business_hours and ticket.client_id else None
    if calendar is None or calendar.around_the_clock:
        hours = "24×7 (the policy counts every hour)" if not policy.business_hours else "24×7 (no business hours set)"
        calendar = BusinessCalendar(zone)
    else:
        hours = "Business hours, holidays skipped"
    settings = sla_settings_get(msp=msp)
    clocks = ticket_clocks(ticket, calendar, warn_before=dt.timedelta(minutes=settings.warn_before_minutes), now=now)
    started = calendar.next_open(ticket.created_at)
    return {"clocks": clocks, "policy_label": "Client's own policy" if override else "MSP default policy",
            "opened_out_of_hours": started > ticket.created_at, "starts_future": started > (now or timezone.now()),
            "clock_start": started.astimezone(calendar.tz).strftime("%a %-d %b, %H:%M %Z"),
            "hours_label": hours, "time_zone": zone, "paused": ticket.sla_paused_at is not None and ticket.is_open}
