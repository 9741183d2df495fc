
"""The database side of tenancy, kept in step with the models after every `migrate`.

Django sees `id` as every model's primary key, and it stays globally unique (one
sequence per table), so URLs and lookups by id do not change. In the database,
though, every MSP-owned table is keyed by `(msp_id, id)`, and every link between
MSP-owned tables (a TenantForeignKey) is the composite reference
`(msp_id, <fk>_id) → target(msp_id, id)`: PostgreSQL refuses a row of one MSP that
points at another MSP's row, whatever SQL wrote it. That is also what a sharded
PostgreSQL (Citus, distributed by msp_id) requires of primary and foreign keys.

Django's migrations know nothing of these keys (TenantForeignKey has
db_constraint=False), so `reconcile()` runs after every migrate (post_migrate) and
after every flush. It reads the catalog once and changes only what differs:
- a primary key that is not (msp_id, id) becomes it, with a plain index on id for
  the few lookups by id alone (save(), refresh_from_db(), the admin);
- a missing composite foreign key is added, and one left over from a removed field is
  dropped. They are checked at once, not deferred to commit like Django's own: a
  cross-MSP link fails at the statement that makes it, with IntegrityError, on one
  server and on every Citus worker alike (where a deferred check would only surface
  as a failed distributed commit).
Adding a constraint validates the existing rows: a cross-MSP link already in the
data stops the migrate with the row named, instead of being kept.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import connections

log = logging.getLogger("opsmerge.schema")

FK_SUFFIX = "_tfk"  # our composite foreign keys; anything else is left alone
ID_INDEX_SUFFIX = "_id_lookup"


@dataclass(frozen=True)
class TenantForeignKeySpec:
    table: str
    column: str
    target: str

    @property
    def name(self) -> str:
        return _name(f"{self.table}_{self.column}", FK_SUFFIX)


def _name(stem: str, suffix: str) -> str:
    """A constraint/index name within PostgreSQL's 63 bytes, stable for its stem."""
    if len(stem) + len(suffix) <= 63:
        return stem + suffix
    digest = hashlib.sha1(stem.encode()).hexdigest()[:8]  # noqa: S324 - a name, not a secret
    return f"{stem[:63 - len(suffix) - 9]}_{digest}{suffix}"


def tenant_models() -> list:
    from .tenancy import MspOwnedModel

    return [m for m in apps.get_models() if issubclass(m, MspOwnedModel) and m._meta.managed
            and not m._meta.proxy]


def tenant_foreign_keys() -> list[TenantForeignKeySpec]:
    from .tenancy import TenantForeignKey

    specs = []
    for model in tenant_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, TenantForeignKey) and field.tenant_constraint:
                specs.append(TenantForeignKeySpec(model._meta.db_table, field.column,
                                                  field.related_model._meta.db_table))
    return specs


@dataclass(frozen=True)
class Key:
    """A primary or foreign key as the catalog has it. `kind` is "p" or "f" ("F" for
    a deferrable foreign key); `target` and `definition` are a foreign key's."""

    table: str
    name: str
    kind: str
    columns: tuple[str, ...]
    target: str
    definition: str


def keys(cursor, tables: list[str] | None = None) -> list[Key]:
    """The primary and foreign keys of the current schema (of `tables` only, if given):
    the one catalog read of the schema reconciler and of the Citus distribution."""
    cursor.execute("""
        SELECT rel.relname, con.conname,
               CASE WHEN con.condeferrable THEN upper(con.contype::text) ELSE con.contype::text END,
               array_agg(att.attname ORDER BY key.ord), coalesce(ref.relname, ''), pg_get_constraintdef(con.oid)
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = current_schema()
        LEFT JOIN pg_class ref ON ref.oid = con.confrelid
        CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS key(attnum, ord)
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = key.attnum
        WHERE con.contype IN ('p', 'f') AND (%s::text[] IS NULL OR rel.relname = ANY(%s::text[]))
        GROUP BY rel.relname, con.conname, con.contype, con.condeferrable, ref.relname, con.oid""", [tables, tables])
    return [Key(table, name, kind, tuple(columns), target, definition)
            for table, name, kind, columns, target, definition in cursor.fetchall()]


def _constraints(cursor, tables: list[str]) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """{(table, constraint name): (kind, [columns])} of `tables`' keys."""
    return {(k.table, k.name): (k.kind, list(k.columns)) for k in keys(cursor, tables)}


def plan(using: str = "default") -> list[str]:
    """The statements that would bring the database's keys in step with the models."""
    connection = connections[using]
    q = connection.ops.quote_name
    existing_tables = set(connection.introspection.table_names())
    tables = [m._meta.db_table for m in tenant_models() if m._meta.db_table in existing_tables]
    with connection.cursor() as cursor:
        constraints = _constraints(cursor, tables)
    statements = []
    for table in tables:
        primary = [(name, cols) for (t, name), (kind, cols) in constraints.items() if t == table and kind == "p"]
        if [cols for _name, cols in primary] != [["msp_id", "id"]]:
            drop = "".join(f"DROP CONSTRAINT {q(name)}, " for name, _cols in primary)
            statements.append(f"ALTER TABLE {q(table)} {drop}ADD PRIMARY KEY (msp_id, id)")
            statements.append(f"CREATE INDEX IF NOT EXISTS {q(_name(table, ID_INDEX_SUFFIX))} ON {q(table)} (id)")
    wanted = {spec.name: spec for spec in tenant_foreign_keys() if spec.table in existing_tables}
    for (table, name), (kind, _cols) in sorted(constraints.items()):
        if kind in "fF" and name.endswith(FK_SUFFIX) and (name not in wanted or kind == "F"):
            statements.append(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
    have = {name for (_t, name), (kind, _c) in constraints.items() if kind == "f"}
    for name, spec in sorted(wanted.items()):
        if name not in have:
            statements.append(
                f"ALTER TABLE {q(spec.table)} ADD CONSTRAINT {q(name)} FOREIGN KEY (msp_id, {q(spec.column)}) "
                f"REFERENCES {q(spec.target)} (msp_id, id)")
    return statements


def reconcile(using: str = "default", verbosity: int = 1) -> list[str]:
    """Apply plan() in one transaction; returns what it ran."""
    from django.db import transaction

    statements = plan(using)
    if statements:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        if verbosity:
            log.info("tenant keys: %d statement(s)", len(statements))
    return statements


def on_post_migrate(sender, using="default", verbosity=1, **kwargs):
    reconcile(using=using, verbosity=verbosity)
