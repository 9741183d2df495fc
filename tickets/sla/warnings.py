"""Breach warnings by email, run by beat (tickets.tasks.sla_warn_all every minute).

For each running clock of an open ticket: one "due soon" email when the due time is
less than the MSP's `warn_before_minutes` away, and one "breached" email once it has
passed. Each is sent once per ticket, clock, threshold and due time: the SlaWarning
row is created and the email sent in one transaction per warning, so a worker killed
mid-run re-sends nothing already committed and a failed send is retried next run. A
due time pushed by a pause is a new due time and may warn again.

Recipients: the assignee; an unassigned ticket (or one whose assignee left) goes to
the SLA settings' notify address, else the MSP's support email, else its admins.
Breaches older than BREACH_LOOKBACK are not mailed (no flood of old news the first
time the task runs over existing tickets)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from opsmerge.emails import absolute_url, send_templated

from ..models import SlaWarning, Ticket
from ..notifications import team_recipients, ticket_email_headers
from .policies import sla_settings_get

log = logging.getLogger("opsmerge.tickets")
BREACH_LOOKBACK = dt.timedelta(hours=24)
CLOCKS = {
    SlaWarning.Clock.FIRST_RESPONSE: ("first_response_due", Q(first_responded_at__isnull=True)),
    SlaWarning.Clock.RESOLUTION: ("resolution_due", Q(sla_paused_at__isnull=True)),
}


def _candidates(*, msp, clock: str, now: dt.datetime, before: dt.timedelta) -> list[tuple[Ticket, str]]:
    field, running = CLOCKS[clock]
    soon = (Q(**{f"{field}__gt": now, f"{field}__lte": now + before}), SlaWarning.Threshold.SOON)
    late = (Q(**{f"{field}__lte": now, f"{field}__gt": now - BREACH_LOOKBACK}), SlaWarning.Threshold.BREACHED)
    out = []
    for window, threshold in (soon, late):
        sent = SlaWarning.objects.filter(msp=msp, ticket=OuterRef("pk"), clock=clock, threshold=threshold,
                                         due_at=OuterRef(field))
        tickets = (Ticket.objects.with_sla().filter(msp=msp, status__in=Ticket.OPEN_STATUSES).filter(running, window)
                   .filter(~Exists(sent)).select_related("client", "assigned_to").order_by(field))
        out.extend((ticket, threshold) for ticket in tickets)
    return out


def sla_warn(*, msp, now: dt.datetime | None = None) -> int:
    """Send the warnings due now for `msp`; returns how many were sent."""
    now = now or timezone.now()
    settings = sla_settings_get(msp=msp)
    before = dt.timedelta(minutes=settings.warn_before_minutes)
    sent = 0
    for clock in CLOCKS:
        for ticket, threshold in _candidates(msp=msp, clock=clock, now=now, before=before):
            due = getattr(ticket, CLOCKS[clock][0])
            try:
                with transaction.atomic():
                    warning = SlaWarning.objects.create(msp=msp, ticket=ticket, clock=clock, threshold=threshold,
                                                        due_at=due, sent_at=now)
                    _send(msp=msp, ticket=ticket, warning=warning, notify_email=settings.notify_email, now=now)
            except IntegrityError:
                continue  # another worker sent this one
            except Exception:
                log.exception("SLA warning for ticket %s could not be sent; retried next run", ticket.pk)
                continue
            sent += 1
    return sent


def _send(*, msp, ticket: Ticket, warning: SlaWarning, notify_email: str, now: dt.datetime) -> None:
    assignee = ticket.assigned_to
    if assignee is not None and assignee.is_active and assignee.msp_id == msp.pk and assignee.email:
        to = [assignee.email]
    else:
        to = [notify_email] if notify_email else team_recipients(msp=msp)
    if not to:
        return
    send_templated(template="tickets/email/sla_warning", to=to, context={
        "msp": msp, "ticket": ticket, "warning": warning, "breached": warning.threshold == SlaWarning.Threshold.BREACHED,
        "minutes": max(0, int((warning.due_at - now).total_seconds() // 60)),
        "url": absolute_url(reverse("tickets:detail", kwargs={"pk": ticket.pk})),
    }, headers=ticket_email_headers(ticket))
