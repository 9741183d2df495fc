"""SLA due times: recompute 100,000 open tickets after a business-hours change.

Seeds one MSP (bench.scale, COPY) with 200 clients in four time zones, each with its
own weekly business hours (some with a lunch break, some with an overnight shift) and
holidays, 100 sites with hours of their own, and 100,000 open tickets (New / Open /
Waiting, every priority, opened over the last ~70 days, some with paused time), plus
a noise MSP. Then:

- sla_initial_seconds: the first recompute, every ticket without due times;
- sla_recompute_seconds (the target, ≤ 10 s): every client's business hours moved by
  an hour, then `tickets.sla.recompute.sla_recompute` over the whole MSP — every due
  time changes and is written back (one COPY + UPDATE);
- sla_recompute_queries: its SQL statements (must not grow with the tickets);
- sla_noop_seconds: the same recompute when nothing changed (reads + compute only).
"""

from __future__ import annotations

import datetime
import random
import time

from bench.harness import result

OPEN_TICKETS = 100_000
CLIENTS = 200
ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def _hours(rng: random.Random, shift: int = 0) -> list[tuple[int, datetime.time, datetime.time]]:
    T = datetime.time
    kind = rng.randrange(3)
    if kind == 0:  # 09–17, Monday to Friday
        return [(d, T(9 + shift), T(17 + shift)) for d in range(5)]
    if kind == 1:  # with a lunch break, and Saturday morning
        return [*((d, T(8 + shift), T(12 + shift)) for d in range(5)),
                *((d, T(13 + shift), T(17 + shift)) for d in range(5)), (5, T(9 + shift), T(12 + shift))]
    # an overnight help desk: 20:00–23:59 and 00:00–06:00
    return [*((d, T(20 + shift), T(23, 59)) for d in range(5)), *((d, T(0), T(6 + shift)) for d in range(1, 6))]


def _seed():
    from django.db import connection

    from bench.scale import seed_scale
    from clients.business_hours import business_hours_set
    from clients.models import Client
    from clients.signals import client_calendar_changed
    from opsmerge.tenancy import msp_scope
    from sites.models import Site
    from tickets.models import Ticket

    # The seed's calendar edits would each queue a recompute: the benchmark times one itself.
    client_calendar_changed.disconnect(dispatch_uid="tickets.sla.calendar_changed")
    msp = seed_scale(clients=CLIENTS, contacts=2_000, sites=400, tickets=OPEN_TICKETS, noise=0.05)
    rng = random.Random(17)
    with msp_scope(msp):
        with connection.cursor() as cursor:
            # Every ticket open (New / Open / Waiting), some with paused business time.
            cursor.execute(
                f"UPDATE {Ticket._meta.db_table} SET status = (ARRAY['new','open','waiting'])[1 + number %% 3], "
                "sla_paused_seconds = CASE WHEN number %% 7 = 0 THEN 3600 ELSE 0 END WHERE msp_id = %s", [msp.pk])
        clients = list(Client.objects.filter(msp=msp).order_by("pk"))
        for n, client in enumerate(clients):
            Client.objects.filter(pk=client.pk).update(time_zone=ZONES[n % len(ZONES)])
            holidays = [(datetime.date(2026, 12, 25), "Christmas"), (datetime.date(2026, 1, 1), "New year"),
                        (datetime.date(2026, 5, 1 + n % 20), "Local holiday")]
            business_hours_set(msp=msp, client=client, intervals=_hours(rng), holidays=holidays)
        for site in Site.objects.filter(msp=msp).order_by("pk")[::4]:
            Site.objects.filter(pk=site.pk).update(time_zone=ZONES[(site.pk + 1) % len(ZONES)])
            business_hours_set(msp=msp, client=site.client, site=site, intervals=_hours(rng))
        open_count = Ticket.objects.filter(msp=msp, status__in=Ticket.OPEN_STATUSES).count()
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "tickets_ticket"')
    return msp, open_count


def _shift_all_hours(msp) -> None:
    """Every client's and site's hours one hour later (a set-based edit, as an admin
    changing many calendars at once would cause)."""
    from django.db import connection

    from clients.models import BusinessHours

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {BusinessHours._meta.db_table} SET opens_at = opens_at + interval '1 hour', "
                       "closes_at = closes_at + interval '1 hour' "
                       "WHERE msp_id = %s AND closes_at <= time '22:00'", [msp.pk])


def run():
    import os

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsmerge.tenancy import msp_scope
    from tickets.sla.recompute import sla_recompute

    msp, open_count = _seed()
    with msp_scope(msp):
        start = time.perf_counter()
        initial = sla_recompute(msp=msp)
        initial_seconds = time.perf_counter() - start

        _shift_all_hours(msp)
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            changed = sla_recompute(msp=msp)
            seconds = time.perf_counter() - start
        queries = len(ctx.captured_queries)

        start = time.perf_counter()
        unchanged = sla_recompute(msp=msp)
        noop_seconds = time.perf_counter() - start
    load = os.getloadavg()
    yield result("sla_open_tickets", open_count, "tickets", f">= {OPEN_TICKETS}")
    yield result("sla_initial_seconds", initial_seconds, "s", None) | {"rows_written": initial}
    yield result("sla_recompute_seconds", seconds, "s", 10.0) | {"rows_written": changed,
                                                                  "loadavg": " ".join(f"{x:.2f}" for x in load)}
    yield result("sla_recompute_queries", queries, "queries", "constant")
    yield result("sla_noop_seconds", noop_seconds, "s", None) | {"rows_written": unchanged}
