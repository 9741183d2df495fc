# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""Set-based, logged writes for merges, and their exact undo.

Every statement is one UPDATE (or DELETE) whose old and new values are written to
ClientMergeChange by the same SQL statement (a data-modifying CTE feeding an
INSERT … SELECT), so the number of queries depends on the number of kinds of rows,
never on the number of rows. Undo replays the steps backwards and refuses (rolls
back) when any row no longer holds the value the merge gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models

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
            if column:
                col = _q(column)
                cursor.execute(
                    f"""UPDATE {table} AS t SET {col} = {_cast(model, column, 'c.old_value')}
                        FROM {LOG_TABLE} AS c
                        WHERE c.msp_id = %s AND c.merge_id = %s AND c.step = %s AND t.id = c.row_id
                          AND t.msp_id = %s AND t.{col} IS NOT DISTINCT FROM {_cast(model, column, 'c.new_value')}""",
                    [msp_id, merge_id, step, msp_id],
                )
                what = f"{model._meta.verbose_name_plural} ({column})"
            else:
                cursor.execute(
                    f"""INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, c.old_value)).*
                        FROM {LOG_TABLE} AS c WHERE c.msp_id = %s AND c.merge_id = %s AND c.step = %s
                        ON CONFLICT DO NOTHING""",
                    [msp_id, merge_id, step],
                )
                what = f"deleted {model._meta.verbose_name_plural}"
            if cursor.rowcount != expected:
                raise ValidationError(
                    f"Undo refused: {expected - cursor.rowcount} of {expected} {what} changed since the merge."
                )
            key = f"{label}.{column or 'deleted'}"
            restored[key] = restored.get(key, 0) + cursor.rowcount
    return restored
