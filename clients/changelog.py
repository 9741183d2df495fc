# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""Set-based, logged writes for merges, and their exact undo.

Every statement is one UPDATE (or DELETE) whose old and new values are written to
ClientMergeChange by the same SQL statement (a data-modifying CTE feeding an
INSERT … SELECT), so the number of queries depends on the number of kinds of rows,
never on the number of rows. Undo replays the steps backwards and refuses (rolls
back) when any row no longer holds the value the merge gave it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from psycopg.types.json import Jsonb

from .models import ClientMergeChange

LOG_TABLE = ClientMergeChange._meta.db_table
_LOG_COLUMNS = "msp_id, merge_id, step, model, \"column\", row_id, old_value, new_value"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class ChangeLog:
    """Writes of one merge. `moved` counts changed rows per "model.column"."""

    msp_id: int
    merge_id: int
    step: int = 0
    moved: dict[str, int] = field(default_factory=dict)

    def _count(self, key: str, n: int) -> int:
        if n:
            self.moved[key] = self.moved.get(key, 0) + n
        return n

    def update(self, model: type[models.Model], column: str, source_sql: str, params=()) -> int:
        """Set `column` of the rows `source_sql` yields. `source_sql` is a SELECT of
        (id, old, new) over the model's table aliased `x`, already filtered to the
        MSP; rows whose value would not change are skipped (and not logged)."""
        self.step += 1
        table, col, label = _q(model._meta.db_table), _q(column), model._meta.label_lower
        sql = f"""
            WITH changed AS (
                UPDATE {table} AS t SET {col} = s.new
                FROM ({source_sql}) AS s
                WHERE t.id = s.id AND t.msp_id = %s
                  AND t.{col} IS NOT DISTINCT FROM s.old AND s.old IS DISTINCT FROM s.new
                RETURNING t.id, s.old, t.{col} AS new
            )
            INSERT INTO {LOG_TABLE} ({_LOG_COLUMNS})
            SELECT %s, %s, %s, %s, %s, id, to_jsonb(old), to_jsonb(new) FROM changed
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.msp_id, self.msp_id, self.merge_id, self.step, label, column])
            return self._count(f"{label}.{column}", cursor.rowcount)

    def delete(self, model: type[models.Model], where_sql: str, params=()) -> int:
        """Delete the rows of the model's table (aliased `t`) matching `where_sql`,
        keeping each whole row in the log."""
        self.step += 1
        table, label = _q(model._meta.db_table), model._meta.label_lower
        sql = f"""
            WITH gone AS (DELETE FROM {table} AS t WHERE t.msp_id = %s AND ({where_sql}) RETURNING t.*)
            INSERT INTO {LOG_TABLE} ({_LOG_COLUMNS})
            SELECT %s, %s, %s, %s, '', gone.id, to_jsonb(gone), NULL FROM gone
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.msp_id, *params, self.msp_id, self.merge_id, self.step, label])
            return self._count(f"{label}.deleted", cursor.rowcount)


def _cast(model: type[models.Model], column: str, expr: str) -> str:
    """SQL turning a jsonb log value back into the column's type."""
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    db_type = field.db_type(connection)
    if db_type == "jsonb":
        return expr
    return f"({expr} #>> '{{}}')::{db_type}"


def _parses_by_session(model: type[models.Model], column: str) -> bool:
    """Whether turning the column's logged text back into its type depends on the
    session (DateStyle, TimeZone): dates and times. PostgreSQL calls such casts
    STABLE, and Citus refuses them in an UPDATE that reads a column on the nodes."""
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return field.db_type(connection).startswith(("timestamp", "date", "time"))


def _restore_values(cursor, model, column: str, *, msp_id: int, merge_id: int, step: int) -> None:
    """UPDATE back to the logged old values, sent as typed constants (VALUES), for
    the columns _parses_by_session() names. Only rows still holding the merge's new
    value change; cursor.rowcount is the number restored."""
    table, col = _q(model._meta.db_table), _q(column)
    db_type = next(f for f in model._meta.concrete_fields if f.column == column).db_type(connection)
    cursor.execute(f"SELECT row_id, old_value #>> '{{}}', new_value #>> '{{}}' FROM {LOG_TABLE} "
                   "WHERE msp_id = %s AND merge_id = %s AND step = %s", [msp_id, merge_id, step])
    rows = cursor.fetchall()
    values = ", ".join([f"(%s::bigint, %s::{db_type}, %s::{db_type})"] * len(rows))
    cursor.execute(
        f"""UPDATE {table} AS t SET {col} = v.old FROM (VALUES {values}) AS v(id, old, new)
            WHERE t.msp_id = %s AND t.id = v.id AND t.{col} IS NOT DISTINCT FROM v.new""",
        [value for row in rows for value in row] + [msp_id])


def changes_undo(*, msp_id: int, merge_id: int) -> dict[str, int]:
    """Replay the merge's log backwards. Raises ValidationError (the caller's
    transaction rolls back) when a logged row changed since the merge."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT step, model, \"column\", count(*) FROM {LOG_TABLE} WHERE msp_id = %s AND merge_id = %s "
            "GROUP BY step, model, \"column\" ORDER BY step DESC",
            [msp_id, merge_id],
        )
        steps = cursor.fetchall()
        restored: dict[str, int] = {}
        for step, label, column, expected in steps:
            model = apps.get_model(label)
            table = _q(model._meta.db_table)
            if column and not _parses_by_session(model, column):
                col = _q(column)
                cursor.execute(
                    f"""UPDATE {table} AS t SET {col} = {_cast(model, column, 'c.old_value')}
                        FROM {LOG_TABLE} AS c
                        WHERE c.msp_id = %s AND c.merge_id = %s AND c.step = %s AND t.id = c.row_id
                          AND t.msp_id = %s AND t.{col} IS NOT DISTINCT FROM {_cast(model, column, 'c.new_value')}""",
                    [msp_id, merge_id, step, msp_id],
                )
                what = f"{model._meta.verbose_name_plural} ({column})"
            elif column:
                _restore_values(cursor, model, column, msp_id=msp_id, merge_id=merge_id, step=step)
                what = f"{model._meta.verbose_name_plural} ({column})"
            else:
                # The rows come to the coordinator and go back as one INSERT … SELECT over
                # an array: jsonb_populate_record parses by the session's settings, which
                # a distributed database does not evaluate on its nodes.
                cursor.execute(f"SELECT old_value FROM {LOG_TABLE} WHERE msp_id = %s AND merge_id = %s AND step = %s",
                               [msp_id, merge_id, step])
                rows = Jsonb([json.loads(value) for (value,) in cursor.fetchall()])  # Django reads jsonb as text
                cursor.execute(
                    f"""INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, r)).*
                        FROM jsonb_array_elements(%s::jsonb) AS r ON CONFLICT DO NOTHING""", [rows])
                what = f"deleted {model._meta.verbose_name_plural}"
            if cursor.rowcount != expected:
                raise ValidationError(
                    f"Undo refused: {expected - cursor.rowcount} of {expected} {what} changed since the merge."
                )
            key = f"{label}.{column or 'deleted'}"
            restored[key] = restored.get(key, 0) + cursor.rowcount
    return restored
