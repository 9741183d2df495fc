"""Set-based writes for the importer: one UPDATE … FROM (VALUES …) per chunk,
instead of one UPDATE per row (or Django's bulk_update CASE chains, which grow
quadratically with the batch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

CHUNK = 1000


def bulk_update_values(model, rows: Sequence[tuple[int, dict[str, Any]]], fields: Sequence[str], *, msp_id: int
                       ) -> int:
    """UPDATE `model`'s table SET each of `fields` from `rows` [(pk, {field: value})],
    limited to `msp_id`'s rows. Returns the number of rows updated."""
    if not rows or not fields:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    pk_type = meta.pk.db_type(connection) if meta.pk.db_type(connection) != "bigserial" else "bigint"
    casts = [f"%s::{pk_type}"] + [f"%s::{c.db_type(connection)}" for c in columns]
    row_sql = "(" + ", ".join(casts) + ")"
    names = ", ".join(['"pk"'] + [f'"{c.column}"' for c in columns])
    assign = ", ".join(f'"{c.column}" = v."{c.column}"' for c in columns)
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            params: list[Any] = []
            for pk, values in chunk:
                params.append(pk)
                params.extend(c.get_db_prep_save(values[c.name], connection) for c in columns)
            params.append(msp_id)
            # Identifiers come from model metadata only; every value is a parameter.
            values_sql = ", ".join([row_sql] * len(chunk))
            table, pk_column = meta.db_table, meta.pk.column
            sql = f'UPDATE "{table}" AS t SET {assign} FROM (VALUES {values_sql}) AS v({names}) WHERE t."{pk_column}" = v."pk" AND t."msp_id" = %s'  # noqa: E501, S608
            cursor.execute(sql, params)
            total += cursor.rowcount
    return total


def copy_insert(model, rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT `rows` ({field name: value}) with PostgreSQL COPY; every other column
    gets its model default. Ids are reserved from the table's sequence first, so the
    caller gets them back (in order) without a RETURNING round trip per row."""
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
    plain = []  # (field, default, needs preparing)
    for field in fields:
        default = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        prepare = field.get_internal_type() == "JSONField"
        if prepare:  # prepared once: most rows keep the default ({} / [])
            default = field.get_db_prep_save(default, connection)
        plain.append((field, default, prepare))
    names = ", ".join(f'"{c}"' for c in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor, cursor.cursor.copy(f'COPY "{meta.db_table}" ({names}) FROM STDIN') as copy:
        for pk, row in zip(ids, rows, strict=True):
            values = [pk]
            for field, default, prepare in plain:
                if field.attname in row:
                    value = row[field.attname]
                elif field.name in row:
                    value = row[field.name]
                else:
                    values.append(default)
                    continue
                values.append(field.get_db_prep_save(value, connection) if prepare else value)
            copy.write_row(values)
    return ids
