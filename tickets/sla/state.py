"""Where a ticket's SLA clocks stand: the queryset expressions of the list (next due
time, breached) and the detail page's clock (remaining business time, paused, met).

Rules: a clock is *breached* when its stop time (the first response; for resolution
the moment it last stopped, i.e. waiting or resolved) or, still running, now, is past
its due time. The *next due* time of an open ticket is its first-response due time
until the first response, then its resolution due time while that clock runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from ..models import Ticket
from .clock import BusinessCalendar

OPEN = Q(status__in=Ticket.OPEN_STATUSES)
DUE_WITHIN_HOURS = (1, 4, 24)


def next_due_expression():
    """The ticket's next due time (NULL when no clock runs): `?sort=due` and the filters."""
    return Case(
        When(OPEN & Q(first_responded_at__isnull=True, first_response_due__isnull=False),
             then=F("first_response_due")),
        When(OPEN & Q(sla_paused_at__isnull=True), then=F("resolution_due")),
        default=Value(None), output_field=DateTimeField())


def breached_q(now: dt.datetime) -> Q:
    """Tickets with a breached clock (running past due, or stopped after it)."""
    return (Q(first_responded_at__isnull=True, first_response_due__lt=now) & OPEN
            | Q(first_responded_at__gt=F("first_response_due"))
            | Q(sla_paused_at__isnull=True, resolution_due__lt=now) & OPEN
            | Q(sla_paused_at__gt=F("resolution_due")))


def with_sla(queryset):
    """`queryset` with the due times (Ticket.objects.with_sla()) unless it has them."""
    return queryset if "first_response_due" in queryset.query.annotations else queryset.with_sla()


def with_next_due(queryset):
    queryset = with_sla(queryset)
    if "sla_next_due" in queryset.query.annotations:
        return queryset
    return queryset.annotate(sla_next_due=next_due_expression())


def filter_sla(queryset, value: str, now: dt.datetime | None = None):
    """`?sla=breached` or `?sla=due_<N>h` (running, due within N hours)."""
    now = now or timezone.now()
    if value == "breached":
        return with_sla(queryset).filter(breached_q(now))
    if value.startswith("due_") and value.endswith("h") and value[4:-1].isdigit():
        hours = int(value[4:-1])
        return with_next_due(queryset).filter(sla_next_due__gte=now,
                                              sla_next_due__lte=now + dt.timedelta(hours=hours))
    return queryset


SLA_FILTER_CHOICES = [("breached", "Breached"),
                      *((f"due_{h}h", f"Due within {h} hour{'s' if h > 1 else ''}") for h in DUE_WITHIN_HOURS)]


# ------------------------------------------------------------------ one ticket, no queries


def next_due(ticket: Ticket) -> dt.datetime | None:
    if not ticket.is_open:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due if ticket.sla_paused_at is None else None


def is_breached(ticket: Ticket, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    first_stop = ticket.first_responded_at or (now if ticket.is_open else None)
    res_stop = ticket.sla_paused_at or now
    return bool((ticket.first_response_due and first_stop and first_stop > ticket.first_response_due)
                or (ticket.resolution_due and res_stop > ticket.resolution_due))


@dataclass
class Clock:
    """One clock as the ticket page shows it."""

    label: str
    due: dt.datetime | None
    state: str  # "none", "met", "breached", "running", "soon", "paused"
    business_left: dt.timedelta | None = None  # running / paused: left; breached: over by
    stopped_at: dt.datetime | None = None

    @property
    def due_local(self) -> str:
        return self.due.astimezone(self._tz).strftime("%a %-d %b %Y, %H:%M %Z") if self.due else ""

    _tz: object = None


def duration_text(delta: dt.timedelta) -> str:
    """"2h 05m", "24h 00m", "12m": business time is counted in hours, never days
    (a "day" of business hours is ambiguous)."""
    hours, mins = divmod(int(delta.total_seconds() // 60), 60)
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


def ticket_clocks(ticket: Ticket, calendar: BusinessCalendar, *, warn_before: dt.timedelta,
                  now: dt.datetime | None = None) -> list[Clock]:
    """The first-response and resolution clocks of `ticket` measured in `calendar`."""
    now = now or timezone.now()
    tz = calendar.tz
    out = []
    first = Clock("First response", ticket.first_response_due, "none", _tz=tz)
    if first.due is not None:
        if ticket.first_responded_at is not None:
            first.stopped_at = ticket.first_responded_at
            first.state = "met" if ticket.first_responded_at <= first.due else "breached"
            if first.state == "breached":
                first.business_left = calendar.between(first.due, ticket.first_responded_at)
        elif ticket.is_open:
            _running(first, calendar, now, warn_before)
    out.append(first)
    resolution = Clock("Resolution", ticket.resolution_due, "none", _tz=tz)
    if resolution.due is not None:
        done = ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        if done:
            resolution.stopped_at = ticket.resolved_at or ticket.sla_paused_at
            late = resolution.stopped_at and resolution.stopped_at > resolution.due
            resolution.state = "breached" if late else "met"
            if late:
                resolution.business_left = calendar.between(resolution.due, resolution.stopped_at)
        elif ticket.sla_paused_at is not None:
            resolution.stopped_at = ticket.sla_paused_at
            if ticket.sla_paused_at > resolution.due:
                resolution.state = "breached"
                resolution.business_left = calendar.between(resolution.due, ticket.sla_paused_at)
            else:
                resolution.state = "paused"
                resolution.business_left = calendar.between(ticket.sla_paused_at, resolution.due)
        else:
            _running(resolution, calendar, now, warn_before)
    out.append(resolution)
    return out


def _running(clock: Clock, calendar: BusinessCalendar, now: dt.datetime, warn_before: dt.timedelta) -> None:
    if now > clock.due:
        clock.state = "breached"
        clock.business_left = calendar.between(clock.due, now)
    else:
        clock.business_left = calendar.between(now, clock.due)
        clock.state = "soon" if clock.due - now <= warn_before else "running"
