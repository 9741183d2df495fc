"""Running on Citus (distributed PostgreSQL), sharded by MSP.

With `OPSMERGE_CITUS=1`, every `migrate` ends (post_migrate, after opsmerge.schema has
put the tenant keys in place) with `distribute()`:
- the global tables that MSP-owned tables reference (accounts_msp, accounts_user …)
  become reference tables, copied to every node;
- every MSP-owned table is distributed by `msp_id`, all co-located, so one MSP's
  clients, contacts, tickets … live on one node and a request touches one node.
Tables that are already distributed are left alone, so a later migrate only
distributes the tables it created. Everything else (sessions, content types, Celery
beat's schedule, migrations) stays a local table on the coordinator.

`multi_shard_allowed(reason)` marks the few queries that must look across MSPs
(portal sign-in by email). The Citus test run makes every other multi-shard query an
error (`citus.multi_task_query_log_level = error`), so a query that forgot its MSP
fails a test instead of fanning out to every node in production.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections
from psycopg import pq

from . import schema

log = logging.getLogger("opsmerge.citus")

MULTI_SHARD_GUC = "citus.multi_task_query_log_level"


def enabled() -> bool:
    return bool(getattr(settings, "OPSMERGE_CITUS", False))


def _citus_installed(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    return cursor.fetchone() is not None


def _ordered(tables: set[str], edges: list[tuple[str, str]]) -> list[str]:
    """`tables`, each after the tables it references (self-references ignored)."""
    done: list[str] = []
    pending = set(tables)
    while pending:
        ready = sorted(t for t in pending if not any(a == t and b in pending and b != t for a, b in edges))
        if not ready:  # a cycle: Citus takes the rest in any order once the first is in
            ready = sorted(pending)
        done += ready
        pending -= set(ready)
    return done


def plan(using: str = "default") -> list[str]:
    """The statements that would distribute what is not distributed yet.

    The reference tables are every global table linked by foreign keys (either way)
    to what MSP-owned tables reference: accounts_msp and accounts_user, and through
    them the auth tables, content types and the admin log. Every foreign key among
    the tables being placed is dropped first and re-added last: with keys in place,
    Citus would turn the tables around a new reference table into "Citus local"
    tables, which it then cannot distribute (identity columns)."""
    conn = connections[using]
    q = conn.ops.quote_name
    with conn.cursor() as cursor:
        if not _citus_installed(cursor):
            raise RuntimeError("OPSMERGE_CITUS is set but the database has no citus extension")
        existing = set(conn.introspection.table_names(cursor))
        cursor.execute("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
        placed = {name.strip('"') for (name,) in cursor.fetchall()}
        foreign = [(k.table, k.target, k.name, k.definition) for k in schema.keys(cursor) if k.kind in "fF"]
    edges = [(a, b) for a, b, _n, _d in foreign]
    owned = {m._meta.db_table for m in schema.tenant_models()} & existing
    reference: set[str] = set()
    frontier = {b for a, b in edges if a in owned and b not in owned}
    while frontier:  # the global tables connected, either way, to what owned tables reference
        reference |= frontier
        frontier = ({b for a, b in edges if a in reference} | {a for a, b in edges if b in reference}) \
            - reference - owned
    new = {t for t in owned | reference if t not in placed}
    if not new:
        return []
    detached = [(a, name, definition) for a, b, name, definition in foreign if a in new or b in new]
    statements = [f"ALTER TABLE {q(a)} DROP CONSTRAINT {q(name)}" for a, name, _d in detached]
    statements += [f"SELECT create_reference_table('{t}')" for t in _ordered(reference, edges) if t in new]
    anchor = next((t for t in sorted(placed) if t in owned), None)
    for table in _ordered(owned, edges):
        if table in new:
            colocate = f", colocate_with => '{anchor}'" if anchor else ", colocate_with => 'none'"
            statements.append(f"SELECT create_distributed_table('{table}', 'msp_id'{colocate})")
            anchor = anchor or table
    statements += [f"ALTER TABLE {q(a)} ADD CONSTRAINT {q(name)} {definition}" for a, name, definition in detached]
    return statements


def distribute(using: str = "default") -> list[str]:
    statements = plan(using)
    with connections[using].cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    if statements:
        log.info("citus: %d statement(s)", len(statements))
    return statements


def on_post_migrate(sender, using="default", **kwargs):
    if enabled():
        distribute(using)


@contextmanager
def multi_shard_allowed(reason: str):
    """A query that must look across MSPs (and so across nodes). Say why; on Citus the
    strict multi-shard check of the test run is lifted for the block."""
    if not reason:
        raise ValueError("multi_shard_allowed() needs a reason")
    if not enabled():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {MULTI_SHARD_GUC}")
        before = cursor.fetchone()[0]
        cursor.execute(f"SET {MULTI_SHARD_GUC} TO off")
    try:
        yield
    finally:
        # In a failed transaction nothing can run; its rollback undoes the SET anyway.
        if connection.connection.info.transaction_status != pq.TransactionStatus.INERROR:
            with connection.cursor() as cursor:
                cursor.execute(f"SET {MULTI_SHARD_GUC} TO %s", [before])
