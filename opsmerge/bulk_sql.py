"""Set-based writes in PostgreSQL for jobs that write many rows at once (the CSV
import, the M365 sync): no model instances, no per-row statements.

- `update_rows`: each row its own values. The values are COPYed into a temporary
  table shaped like the target columns and applied by one UPDATE … FROM it: no giant
  parameter lists to bind (PostgreSQL stops at 65,535), no CASE chains growing with
  rows × fields as in Django's bulk_update, and every type is the table's own.
- `update_ids`: the same values for many rows, one UPDATE … WHERE pk = ANY(array).
- `insert_rows`: COPY, with the ids reserved from the table's sequence first.

Every UPDATE is restricted to one MSP (`msp_id`), whatever ids it is given. Like
Model.save(), an update sets the model's auto_now fields (updated_at) to the
statement's time unless the caller writes them itself: the API exposes and orders by
updated_at, so rows changed by a sync or an import must show it.

Identifiers come from model metadata only (quoted); every value travels as a bound
parameter or through COPY, never inside the SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

UPDATE_TEMP_TABLE = "_bulk_sql_update"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _touch(model, written) -> str:
    """", updated_at = statement_timestamp()" for the auto_now columns not in `written`."""
    columns = {f.column for f in written}
    return "".join(f", {_q(f.column)} = statement_timestamp()" for f in model._meta.concrete_fields
                   if getattr(f, "auto_now", False) and f.column not in columns)


def update_rows(model, rows: Sequence[tuple[int, Mapping[str, Any]]], fields: Sequence[str], *, msp_id: int
                ) -> int:
    """UPDATE `model`'s table SET each of `fields` (names or attnames) from `rows`
    [(pk, {field: value})], limited to `msp_id`'s rows. Returns the number of rows updated.

    CREATE … AS SELECT … WITH NO DATA gives the temporary table the target's own types,
    lengths and precisions; it is dropped before returning, so several calls can share
    one transaction."""
    if not rows or not fields:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    table, temp = _q(meta.db_table), _q(UPDATE_TEMP_TABLE)
    names = ", ".join(_q(c.column) for c in columns)
    assign = ", ".join(f"{_q(c.column)} = v.{_q(c.column)}" for c in columns) + _touch(model, columns)
    prepare = [(name, c.get_db_prep_save) for name, c in zip(fields, columns, strict=True)]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {_q(meta.pk.column)} AS pk, {names} "  # noqa: S608
                       f"FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {temp} (pk, {names}) FROM STDIN") as copy:
            for pk, values in rows:
                copy.write_row([pk, *(prep(values[name], connection) for name, prep in prepare)])
        cursor.execute(f"UPDATE {table} AS t SET {assign} FROM {temp} AS v "  # noqa: S608
                       f"WHERE t.{_q(meta.pk.column)} = v.pk AND t.msp_id = %s", [msp_id])
        total = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return total


def update_ids(model, ids: Sequence[int], values: Mapping[str, Any], *, msp_id: int) -> int:
    """UPDATE the rows of `model` with these primary keys, limited to `msp_id`'s rows,
    SET each field of `values` (names or attnames) to its value. The ids travel as one
    array parameter, so their number is not bound by PostgreSQL's parameter limit."""
    if not ids or not values:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in values]
    assign = ", ".join(f"{_q(c.column)} = %s" for c in columns) + _touch(model, columns)
    params = [c.get_db_prep_save(value, connection) for c, value in zip(columns, values.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_q(meta.db_table)} SET {assign} "  # noqa: S608
                       f"WHERE msp_id = %s AND {_q(meta.pk.column)} = ANY(%s)", [*params, msp_id, list(ids)])
        return cursor.rowcount


def _json_text(prepared):
    """The text a prepared JSON value (psycopg's Jsonb wrapper) is sent as; SQL NULL
    and anything else as it is."""
    if isinstance(prepared, Jsonb):
        return (prepared.dumps or json.dumps)(prepared.obj)
    return prepared


def insert_rows(model, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """INSERT `rows` ({field name or attname: value}) with COPY; every other column gets
    its model default, and auto_now / auto_now_add fields the current time. Ids are
    reserved from the table's sequence first, so the caller gets them back (in order)
    without a RETURNING round trip per row. Keys that are not fields are ignored."""
    if not rows:
        return []
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
        # JSON needs preparing; psycopg adapts the other values these jobs write (str, int,
        # bool, datetime) itself. A JSON default (most rows keep {} / []) is serialised once
        # here: text COPY takes the JSON text as it is.
        prepare = field.get_db_prep_save if field.get_internal_type() == "JSONField" else None
        defaults.append(_json_text(prepare(default, connection)) if prepare else default)
        slot[field.attname] = (position, prepare, None)
        if field.name != field.attname:
            slot[field.name] = (position, prepare, field.attname)
    names = ", ".join(_q(c) for c in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {_q(meta.db_table)} ({names}) FROM STDIN") as copy:
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
