# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""Undo a whole committed import job (EspoCRM's "revert"), exactly.

The job's change log (changes.py, written in each batch's transaction) is replayed
backwards, one set-based statement per step, in one transaction: rows the job
updated get their old values back, rows it deleted (tag links) come back, rows it
created are deleted. Like the merge's Undo (clients.changelog.changes_undo), it
refuses, and the transaction rolls back, when any of these rows changed since:
- an updated row no longer holds every value the job gave it;
- a created row's fingerprint (md5 of the row, updated_at aside) differs, or another
  row now points at it (a ticket, an asset, a tag added by hand …).
Nothing is half undone.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.permissions import Op, require
from opsmerge.audit import audit_record

from .changes import LOG_TABLE, row_fingerprint_sql
from .models import ImportChange, ImportJob


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def import_job_can_undo(job: ImportJob) -> bool:
    return (not job.dry_run and job.undone_at is None and job.is_done
            and ImportChange.objects.filter(msp=job.msp_id, job=job).exists())


def _describe(model, msp_id: int, ids: list[int]) -> str:
    """A few of the rows, as the user knows them (contacts by email, others by name)."""
    names = []
    for obj in model._base_manager.filter(msp_id=msp_id, pk__in=ids[:3]):
        names.append(getattr(obj, "email", "") or str(obj))
    return ", ".join(names)


def _refuse(model, msp_id: int, ids: list[int], total: int, why: str) -> None:
    plural = model._meta.verbose_name_plural
    sample = _describe(model, msp_id, ids)
    raise ValidationError(f"Undo refused: {len(ids) if len(ids) < 50 else 'at least 50'} of {total} {plural} {why} "
                          f"({sample}{' …' if len(ids) > 3 else ''}). Nothing was changed.")


def _references(cursor, model, msp_id: int, job_id: int) -> None:
    """Refuse when a row outside this job's own creations points at a created row."""
    label = model._meta.label_lower
    for rel in model._meta.related_objects:
        if not rel.concrete and not getattr(rel, "field", None):
            continue
        field = rel.field
        if field.many_to_many or not field.concrete:
            continue
        other = field.model
        other_label = other._meta.label_lower
        cursor.execute(
            f"""SELECT DISTINCT o.{_q(field.column)} FROM {_q(other._meta.db_table)} AS o
                JOIN {LOG_TABLE} AS c ON c.msp_id = o.msp_id AND c.row_id = o.{_q(field.column)}
                WHERE c.msp_id = %s AND c.job_id = %s AND c.op = 'created' AND c.model = %s
                  AND NOT EXISTS (SELECT 1 FROM {LOG_TABLE} AS mine WHERE mine.msp_id = %s AND mine.job_id = %s
                                  AND mine.op = 'created' AND mine.model = %s AND mine.row_id = o.id)
                LIMIT 50""",
            [msp_id, job_id, label, msp_id, job_id, other_label])
        ids = [r[0] for r in cursor.fetchall()]
        if ids:
            cursor.execute(f"SELECT count(*) FROM {LOG_TABLE} WHERE msp_id = %s AND job_id = %s AND model = %s "
                           f"AND op = 'created'", [msp_id, job_id, label])
            _refuse(model, msp_id, ids, cursor.fetchone()[0],
                    f"created by this import are now used by {other._meta.verbose_name_plural}")


def _undo_created(cursor, model, msp_id: int, job_id: int, step: int, expected: int) -> int:
    table = _q(model._meta.db_table)
    where = "c.msp_id = %s AND c.job_id = %s AND c.step = %s"
    cursor.execute(
        f"""SELECT c.row_id FROM {LOG_TABLE} AS c LEFT JOIN {table} AS t ON t.id = c.row_id AND t.msp_id = c.msp_id
            WHERE {where} AND (t.id IS NULL OR to_jsonb({row_fingerprint_sql('t')}) IS DISTINCT FROM c.new_value)
            LIMIT 50""", [msp_id, job_id, step])
    changed = [r[0] for r in cursor.fetchall()]
    if changed:
        _refuse(model, msp_id, changed, expected, "created by this import changed or were deleted since")
    cursor.execute(f"DELETE FROM {table} AS t USING {LOG_TABLE} AS c WHERE {where} AND t.id = c.row_id "
                   f"AND t.msp_id = c.msp_id AND t.msp_id = %s", [msp_id, job_id, step, msp_id])
    return cursor.rowcount


def _undo_updated(cursor, model, msp_id: int, job_id: int, step: int, expected: int) -> int:
    table = _q(model._meta.db_table)
    where = "c.msp_id = %s AND c.job_id = %s AND c.step = %s"
    cursor.execute(
        f"""SELECT c.row_id FROM {LOG_TABLE} AS c LEFT JOIN {table} AS t ON t.id = c.row_id AND t.msp_id = c.msp_id
            WHERE {where} AND (t.id IS NULL OR EXISTS (
                SELECT 1 FROM jsonb_each(c.new_value) AS e WHERE to_jsonb(t) -> e.key IS DISTINCT FROM e.value))
            LIMIT 50""", [msp_id, job_id, step])
    changed = [r[0] for r in cursor.fetchall()]
    if changed:
        _refuse(model, msp_id, changed, expected, "updated by this import changed since")
    cursor.execute(f"SELECT DISTINCT jsonb_object_keys(old_value) FROM {LOG_TABLE} AS c WHERE {where}",
                   [msp_id, job_id, step])
    logged = {r[0] for r in cursor.fetchall()}
    columns = [f.column for f in model._meta.concrete_fields if f.column in logged and not f.primary_key]
    if len(columns) != len(logged):
        raise ValidationError("Undo refused: the change log names columns this table no longer has.")
    assign = ", ".join(f"{_q(c)} = CASE WHEN c.old_value ? %s THEN r.{_q(c)} ELSE t.{_q(c)} END" for c in columns)
    touch = "".join(f", {_q(f.column)} = statement_timestamp()" for f in model._meta.concrete_fields
                    if getattr(f, "auto_now", False) and f.column not in logged)
    cursor.execute(
        f"""UPDATE {table} AS t SET {assign}{touch}
            FROM {LOG_TABLE} AS c, LATERAL jsonb_populate_record(NULL::{table}, c.old_value) AS r
            WHERE {where} AND t.id = c.row_id AND t.msp_id = c.msp_id AND t.msp_id = %s""",
        [*columns, msp_id, job_id, step, msp_id])
    return cursor.rowcount


def _undo_deleted(cursor, model, msp_id: int, job_id: int, step: int) -> int:
    table = _q(model._meta.db_table)
    cursor.execute(
        f"""INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, c.old_value)).*
            FROM {LOG_TABLE} AS c WHERE c.msp_id = %s AND c.job_id = %s AND c.step = %s ON CONFLICT DO NOTHING""",
        [msp_id, job_id, step])
    return cursor.rowcount


def import_job_undo(*, msp, job: ImportJob, actor) -> ImportJob:
    """Undo everything committed job `job` wrote, or nothing (ValidationError)."""
    if actor is not None:
        require(actor, Op.IMPORT)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(msp=msp, pk=job.pk)
        if job.dry_run:
            raise ValidationError("A dry run wrote nothing: there is nothing to undo.")
        if job.undone_at is not None:
            raise ValidationError("This import has already been undone.")
        if not job.is_done:
            raise ValidationError("Wait for the import to finish (or cancel it) before undoing it.")
        restored = {"deleted": 0, "restored": 0, "reinserted": 0}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT step, model, op, count(*) FROM {LOG_TABLE} WHERE msp_id = %s AND job_id = %s "
                           f"GROUP BY step, model, op ORDER BY step DESC", [msp.pk, job.pk])
            steps = cursor.fetchall()
            if not steps:
                raise ValidationError("This import changed nothing: there is nothing to undo.")
            for label in {s[1] for s in steps if s[2] == ImportChange.Op.CREATED}:
                _references(cursor, apps.get_model(label), msp.pk, job.pk)
            for step, label, op, expected in steps:
                model = apps.get_model(label)
                if op == ImportChange.Op.CREATED:
                    done = _undo_created(cursor, model, msp.pk, job.pk, step, expected)
                    restored["deleted"] += done
                elif op == ImportChange.Op.UPDATED:
                    done = _undo_updated(cursor, model, msp.pk, job.pk, step, expected)
                    restored["restored"] += done
                else:
                    done = _undo_deleted(cursor, model, msp.pk, job.pk, step)
                    restored["reinserted"] += done
                if done != expected:
                    raise ValidationError(f"Undo refused: {expected - done} of {expected} "
                                          f"{model._meta.verbose_name_plural} changed since the import. "
                                          f"Nothing was changed.")
        job.undone_at, job.undone_by = timezone.now(), actor
        job.save(update_fields=["undone_at", "undone_by"])
        audit_record(msp=msp, actor=actor, action="import.undo", obj=job,
                     changes={"kind": job.kind, "file": job.original_name, **restored})
    return job
