"""Set-based recomputation of SLA due times (issue 17: 100k open tickets in ≤ 10 s).

One pass: read the open tickets' clock inputs with one query (no model instances),
load the policies and calendars they need with three more, compute both due times in
Python with one shared BusinessCalendar per distinct calendar (bisect over its
interval arrays: O(log n) a ticket, no per-minute stepping), and write only the due
times that changed: one COPY + UPDATE … FROM (opsmerge.bulk_sql.update_rows) of the
narrow TicketSlaDue rows (HOT updates, no index maintenance), one COPY for tickets
that have none yet (opsmerge.bulk_sql.insert_rows).

Every SLA write of an MSP takes the same transaction-scoped advisory lock, so a
recompute and a ticket's own status change cannot interleave and leave stale due
times; a ticket write waits for a running recompute (seconds at most).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from opsmerge.bulk_sql import insert_rows, update_rows

from ..models import Ticket, TicketSlaDue
from .calendars import calendars_for, zone_of
from .clock import BusinessCalendar, from_us, to_us
from .policies import sla_policies

SLA_LOCK = 0x51A  # advisory lock class of SLA writes; the second key is the msp id
MINUTE_US = 60_000_000
SECOND_US = 1_000_000
AROUND_THE_CLOCK = BusinessCalendar("UTC")


def sla_lock(msp) -> None:
    """Serialise SLA writes of one MSP until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SLA_LOCK, msp.pk])


@transaction.atomic
def sla_recompute(*, msp, client_ids: Iterable[int] | None = None, ticket_ids: Iterable[int] | None = None) -> int:
    """Recompute the first-response and resolution due times of `msp`'s open tickets
    (all, those of `client_ids`, or `ticket_ids`). Returns how many tickets' due times changed."""
    sla_lock(msp)
    tickets = Ticket.objects.filter(msp=msp, status__in=Ticket.OPEN_STATUSES)
    if client_ids is not None:
        tickets = tickets.filter(client_id__in=list(client_ids))
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=list(ticket_ids))
    rows = list(tickets.values_list("pk", "client_id", "site_id", "priority", "created_at", "sla_paused_seconds",
                                    "sla_due__id", "sla_due__first_response_due", "sla_due__resolution_due",
                                    "client__time_zone", "site__time_zone").order_by())
    if not rows:
        return 0
    default, overrides = sla_policies(msp=msp, client_ids={r[1] for r in rows})
    zones = {(r[1], r[2]): zone_of(r[9], r[10]) for r in rows if r[1] is not None}
    calendars = calendars_for(msp=msp, zones=zones)
    earliest, latest = min(r[4] for r in rows), max(r[4] for r in rows)
    for calendar in {id(c): c for c in calendars.values()}.values():
        calendar.cover(earliest, latest)

    changed, missing = [], []
    for pk, client, site, priority, created_at, paused, due_pk, fr_due, res_due, _cz, _sz in rows:
        policy = overrides.get(client, default)
        calendar = calendars[(client, site)] if client is not None and policy.business_hours else AROUND_THE_CLOCK
        start = to_us(created_at)
        fr_minutes = policy.target_minutes("first_response", priority)
        res_minutes = policy.target_minutes("resolution", priority)
        new_fr = None if fr_minutes is None else from_us(calendar.add_us(start, fr_minutes * MINUTE_US))
        new_res = (None if res_minutes is None
                   else from_us(calendar.add_us(start, res_minutes * MINUTE_US + paused * SECOND_US)))
        due = {"first_response_due": new_fr, "resolution_due": new_res}
        if due_pk is None:
            missing.append({"msp_id": msp.pk, "ticket_id": pk, **due})
        elif new_fr != fr_due or new_res != res_due:
            changed.append((due_pk, due))
    insert_rows(TicketSlaDue, missing)
    return len(missing) + update_rows(TicketSlaDue, changed, ["first_response_due", "resolution_due"], msp_id=msp.pk)

