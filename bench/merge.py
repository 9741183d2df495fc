"""Client merge (two clients with 20,000 related rows each) and duplicate detection
over 10,000 clients.

merge_seconds: wall time of the merge job body (clients.merge.client_merge_execute:
one transaction moving contacts, sites, assets, tickets and invoices of the source
into the target, with every changed row logged for Undo). merge_queries: its SQL
statements; the target is the count for a merge of two tiny clients, i.e. the count
must not grow with the rows. undo_seconds: undoing that merge.
dedupe_seconds: duplicates_recompute over 10,000 clients with realistic company
names (Faker, seeded), domains and contacts, 2% of them planted near-duplicates.
"""

from __future__ import annotations

import random
import time

from bench.harness import result

MERGE_ROWS_PER_CLIENT = 20_000
DEDUPE_CLIENTS = 10_000


def _merge_queries_and_seconds(msp, user, target, source):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clients.merge import client_merge_execute, client_merge_start

    merge = client_merge_start(msp=msp, target=target, sources=[source], actor=user)
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        merge = client_merge_execute(msp=msp, merge=merge)
        seconds = time.perf_counter() - start
    if merge.status != "done":
        raise RuntimeError(f"merge failed: {merge.error}")
    return len(ctx.captured_queries), seconds, merge


def _bench_merge():
    from bench.scale import admin_for, seed_scale
    from clients.merge import client_merge_undo
    from clients.models import Client
    from opsmerge.tenancy import msp_scope

    # Totals over two clients: per client 3,000 contacts, 100 sites, 5,000 assets,
    # 10,000 tickets, 1,900 invoices = 20,000 related rows.
    msp = seed_scale(clients=2, contacts=6_000, sites=200, assets=10_000, tickets=20_000, invoices=3_800,
                     noise=False)
    small = seed_scale(clients=2, contacts=4, sites=2, assets=2, tickets=2, invoices=2, noise=False)
    user = admin_for(msp)
    with msp_scope(small):
        target, source = Client.objects.filter(msp=small).order_by("pk")
        small_queries, _s, _m = _merge_queries_and_seconds(small, admin_for(small), target, source)
    with msp_scope(msp):
        target, source = Client.objects.filter(msp=msp).order_by("pk")
        Client.objects.filter(pk__in=[target.pk, source.pk]).update(status="active", archived_at=None)
        target.refresh_from_db()
        source.refresh_from_db()
        queries, seconds, merge = _merge_queries_and_seconds(msp, user, target, source)
        moved = sum(n for key, n in merge.moved.items() if key.endswith(".client_id"))
        start = time.perf_counter()
        client_merge_undo(msp=msp, merge=merge, actor=user)
        undo_seconds = time.perf_counter() - start
    yield result("merge_seconds", seconds, "s", 3.0)
    yield result("merge_queries", queries, "queries", f"== {small_queries} (tiny merge)")
    yield result("merge_rows_moved", moved, "rows", f">= {MERGE_ROWS_PER_CLIENT}")
    yield result("undo_seconds", undo_seconds, "s", None)


def _plant_names(msp) -> list[tuple[int, int]]:
    """Give the seeded clients realistic company names, 2% of them variants of
    another client's name ("Acme-Tech Ltd" / "ACME TECH LIMITED")."""
    from django.db import connection
    from faker import Faker

    from clients.models import Client

    fake = Faker("en_GB")
    fake.seed_instance(7)
    rng = random.Random(7)
    ids = list(Client.objects.filter(msp=msp).order_by("pk").values_list("pk", flat=True))
    names = [fake.company() for _ in ids]
    planted = []
    for i in range(0, len(ids), 50):
        if i + 1 < len(ids):
            base = names[i].replace(" Ltd", "").replace(" PLC", "").replace(" LLC", "")
            names[i + 1] = rng.choice([f"{base.upper()} LIMITED", f"{base.replace(' ', '-')} Ltd.", f"The {base}"])
            planted.append((ids[i], ids[i + 1]))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_client c SET name = v.name, status = 'active', archived_at = NULL "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, name) WHERE c.id = v.id",
            [ids, names],
        )
        cursor.execute("ANALYZE clients_client")
    return planted


def _bench_dedupe():
    from bench.scale import seed_scale
    from clients.duplicates import duplicates_recompute
    from clients.models import DuplicateCandidate
    from opsmerge.tenancy import msp_scope, unscoped

    msp = seed_scale(clients=DEDUPE_CLIENTS, contacts=20_000, sites=DEDUPE_CLIENTS, noise=0.2)
    with unscoped("bench: plant names"):
        planted = _plant_names(msp)
    with msp_scope(msp):
        duplicates_recompute(msp=msp)  # warm-up (plans, caches)
        start = time.perf_counter()
        found = duplicates_recompute(msp=msp)
        seconds = time.perf_counter() - start
        pairs = set(DuplicateCandidate.objects.filter(msp=msp).values_list("client_a_id", "client_b_id"))
    yield result("dedupe_seconds", seconds, "s", 5.0)
    yield result("dedupe_candidates", found, "pairs", None)
    yield result("dedupe_planted_found", sum(p in pairs for p in planted) / len(planted) * 100, "%", 100)


def run():
    yield from _bench_merge()
    yield from _bench_dedupe()
