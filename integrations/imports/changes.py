# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""The change log of a committed import job, for its exact Undo (undo.py).

Like the merge's change log (clients.changelog), every write of the job is recorded
in the same transaction as the write itself, set-based: created rows by one
INSERT … SELECT of their fingerprints, deleted rows by one DELETE … RETURNING feeding
the log, updated rows (whose old values the processor already holds in memory) by one
COPY. Unlike a merge, an import writes each row's changed columns in one UPDATE and
creates rows, so the log is per row (`ImportChange`), not per column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from opsmerge.bulk_sql import insert_rows

from .models import ImportChange

LOG_TABLE = ImportChange._meta.db_table
_COLUMNS = "msp_id, job_id, step, model, op, row_id, old_value, new_value"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def row_fingerprint_sql(alias: str) -> str:
    """md5 of the whole row but its updated_at: a later change to any column changes
    it (an update the job itself made later is undone first, restoring it)."""
    return f"md5((to_jsonb({alias}) - 'updated_at')::text)"


class ChangeRecorder:
    """Records one job's writes. Disabled (records nothing) for dry runs: their
    writes are rolled back anyway."""

    def __init__(self, *, msp_id: int, job_id: int, enabled: bool = True):
        self.msp_id, self.job_id, self.enabled = msp_id, job_id, enabled
        # A resumed job continues the steps of its earlier runs.
        self.step = (ImportChange.objects.filter(msp=msp_id, job=job_id).order_by("-step")
                     .values_list("step", flat=True).first() or 0) if enabled else 0

    def _next(self) -> int:
        self.step += 1
        return self.step

    def created(self, model, ids: Sequence[int]) -> None:
        if not self.enabled or not ids:
            return
        table = _q(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {LOG_TABLE} ({_COLUMNS}) SELECT %s, %s, %s, %s, 'created', t.id, NULL, "
                f"to_jsonb({row_fingerprint_sql('t')}) FROM {table} AS t WHERE t.msp_id = %s AND t.id = ANY(%s)",
                [self.msp_id, self.job_id, self._next(), model._meta.label_lower, self.msp_id, list(ids)])

    def updated(self, model, changes: Iterable[tuple[int, dict, dict]]) -> None:
        """[(id, {column: old}, {column: new})], columns by attname (client_id)."""
        if not self.enabled:
            return
        step, label = self._next(), model._meta.label_lower
        rows = [{"msp_id": self.msp_id, "job_id": self.job_id, "step": step, "model": label, "op": "updated",
                 "row_id": pk, "old_value": old, "new_value": new} for pk, old, new in changes if new]
        insert_rows(ImportChange, rows)

    def delete(self, model, ids: Sequence[int]) -> int:
        """Delete these rows of `model` (this MSP's only), keeping each whole row in the log."""
        if not ids:
            return 0
        table = _q(model._meta.db_table)
        with connection.cursor() as cursor:
            if not self.enabled:
                cursor.execute(f"DELETE FROM {table} WHERE msp_id = %s AND id = ANY(%s)", [self.msp_id, list(ids)])
                return cursor.rowcount
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} AS t WHERE t.msp_id = %s AND t.id = ANY(%s) RETURNING t.*) "
                f"INSERT INTO {LOG_TABLE} ({_COLUMNS}) SELECT %s, %s, %s, %s, 'deleted', gone.id, to_jsonb(gone), "
                f"NULL FROM gone",
                [self.msp_id, list(ids), self.msp_id, self.job_id, self._next(), model._meta.label_lower])
            return cursor.rowcount
