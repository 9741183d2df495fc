"""Set-based writes for the importer. Updates go through COPY into a temporary
table and one UPDATE … FROM it (no per-row statements, no giant parameter lists
for the client to interpolate, no CASE chains growing with the batch); inserts go
straight through COPY."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from psycopg.types.json import Jsonb

UPDATE_TEMP_TABLE = "_import_bulk_update"


def bulk_update_values(model, rows: Sequence[tuple[int, dict[str, Any]]], fields: Sequence[str], *, msp_id: int
                       ) -> int:
    """UPDATE `model`'s table SET each of `fields` from `rows` [(pk, {field: value})],
    limited to `msp_id`'s rows. Returns the number of rows updated.

    The values are COPYed into a temporary table shaped like the target columns
    (CREATE … AS SELECT … WITH NO DATA, so every type, length and precision is the
    table's own), then applied by one join; the temporary table is dropped before
    returning, so several calls can share one transaction."""
    if not rows or not fields:
        return 0
    meta = model._meta
    q = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    table, temp = q(meta.db_table), q(UPDATE_TEMP_TABLE)
    names = ", ".join(q(c.column) for c in columns)
    assign = ", ".join(f"{q(c.column)} = v.{q(c.column)}" for c in columns)
    prepare = [(c.name, c.get_db_prep_save) for c in columns]
    # Identifiers come from model metadata only; every value travels through COPY.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {q(meta.pk.column)} AS pk, {names} "  # noqa: S608
                       f"FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {temp} (pk, {names}) FROM STDIN") as copy:
            for pk, values in rows:
                copy.write_row([pk, *(prep(values[name], connection) for name, prep in prepare)])
        cursor.execute(f"UPDATE {table} AS t SET {assign} FROM {temp} AS v "  # noqa: S608
                       f"WHERE t.{q(meta.pk.column)} = v.pk AND t.msp_id = %s", [msp_id])
        total = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return total


def _json_text(prepared):
    """The text a prepared JSON value (psycopg's Jsonb wrapper) is sent as; SQL NULL
    and anything else as it is."""
    if isinstance(prepared, Jsonb):
        return (prepared.dumps or json.dumps)(prepared.obj)
    return prepared


def copy_insert(model, rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT `rows` ({field name or attname: value}) with PostgreSQL COPY; every other
    column gets its model default. Ids are reserved from the table's sequence first,
    so the caller gets them back (in order) without a RETURNING round trip per row."""
    if not rows:
        return []
    from django.utils import timezone

    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(rows)])
        ids = [r[0] for r in cursor.fetchall()]
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    defaults: list[Any] = [None]  # the id, filled per row
    # name or attname -> (position, preparer or None, the attname that wins over this name)
    slot: dict[str, tuple[int, Any, str | None]] = {}
    for position, field in enumerate(fields, start=1):
        default = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        # JSON needs preparing; psycopg adapts every other value the importer writes (str,
        # int, bool, datetime) itself. A JSON default (most rows keep {} / []) is serialised
        # once here: text COPY takes the JSON text as it is.
        prepare = field.get_db_prep_save if field.get_internal_type() == "JSONField" else None
        defaults.append(_json_text(prepare(default, connection)) if prepare else default)
        slot[field.attname] = (position, prepare, None)
        if field.name != field.attname:
            slot[field.name] = (position, prepare, field.attname)
    names = ", ".join(f'"{c}"' for c in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{meta.db_table}" ({names}) FROM STDIN') as copy:
        for pk, row in zip(ids, rows, strict=True):
            values = defaults.copy()
            values[0] = pk
            for key, value in row.items():
                entry = slot.get(key)
                if entry is None or (entry[2] is not None and entry[2] in row):
                    continue
                position, prepare, _ = entry
                values[position] = prepare(value, connection) if prepare else value
            copy.write_row(values)
    return ids
