"""Runs an ImportJob: stream the file, validate every row, write valid rows in
batches, record the rest.

Each batch commits in its own transaction together with its row errors, the job's
counts and `checkpoint_row`; a worker killed mid-batch therefore leaves nothing of
that batch behind, and the next run resumes after the last committed batch. A dry
run writes each batch inside a savepoint that is rolled back, so it reports exactly
what a commit would do.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from opsmerge.audit import audit_record
from opsmerge.bulk_sql import insert_rows
from opsmerge.files import local_path

from .cells import clean_cell
from .columns import header_key
from .formats import FORMATS, FormatRules
from .models import ImportJob, ImportRowError
from .processors import processor_for
from .processors.base import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, Row
from .reading import ReadError, TableInfo, iter_rows

log = logging.getLogger("opsmerge.imports")
BATCH_ROWS = 5000  # rows per transaction: per-batch costs (lookups, commit) fade, memory stays small


class JobCancelled(Exception):
    pass


class JobSuperseded(Exception):
    """Another run of the same job committed this batch first (a redelivered task
    while the first worker was still alive): this run stops without touching it."""


def table_info(job: ImportJob) -> TableInfo:
    return TableInfo(file_format=job.file_format, headers=job.headers, header_row=job.header_row,
                     encoding=job.encoding, delimiter=job.delimiter, estimated_rows=job.total_rows)


class JobRunner:
    def __init__(self, job: ImportJob):
        self.job = job
        self.msp = job.msp
        self.mapping = {int(index): key for index, key in job.mapping.items() if key}
        self.width = len(job.headers)
        self.header_of = {key: job.headers[index] for index, key in self.mapping.items()}
        self.processor = processor_for(job.kind)(msp=self.msp, job=job, actor=job.created_by)
        fmt = FORMATS.get(job.source_format)
        self.rules = FormatRules(fmt, job.headers) if fmt and fmt.rules else None

    def _row(self, number: int, cells: list[str]) -> Row:
        count = len(cells)
        values = {key: clean_cell(cells[index]) if index < count else "" for index, key in self.mapping.items()}
        row = Row(number=number, cells=cells, values=values)
        if self.rules:
            self.rules.apply(row)
        extra = [c for c in cells[self.width:] if c.strip()]
        if extra:
            row.error("", f"This row has {len(cells)} cells but the header has {self.width} columns: check for "
                          f"a delimiter inside an unquoted value.")
        return row

    def run(self) -> ImportJob:
        job = self.job
        if job.file_removed_at or not job.file:
            raise ReadError(job.file_removed_note or "The uploaded file is gone: upload it again.")
        with local_path(job.file) as path:  # a temporary copy when the storage is remote (S3)
            return self._run(path)

    def _run(self, path: str) -> ImportJob:
        job = self.job
        batch: list[Row] = []
        for number, cells in iter_rows(path, table_info(job)):
            row = self._row(number, cells)
            if row.outcome != SKIPPED:  # a format rule may skip a row (an M365 guest)
                self.processor.clean(row)  # also replays within-file rules for committed rows
            if number <= job.checkpoint_row:
                continue
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                self._commit(batch)
                batch = []
        if batch:
            self._commit(batch)
        return job

    def _apply(self, rows: list[Row]) -> None:
        clean = [r for r in rows if r.ok]
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    if clean:
                        self.processor.apply(clean, mode=self.job.mode)
                    if self.job.dry_run:
                        transaction.set_rollback(True)
                return
            except IntegrityError as exc:
                # A concurrent writer took a key between our lookup and our write:
                # look again once; if it still clashes, report the batch's rows.
                self.processor.discard_batch()
                for row in clean:
                    row.outcome, row.errors = "", []
                    row.data = {k: v for k, v in row.data.items() if not k.startswith("_")}
                if attempt == 2:
                    for row in clean:
                        row.error("", f"Could not be saved: it clashes with a record written at the same time "
                                      f"({str(exc).splitlines()[0]}). Import this row again.")

    def _commit(self, rows: list[Row]) -> None:
        job = self.job
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().only("cancel_requested", "checkpoint_row").get(
                msp=self.msp, pk=job.pk)
            if locked.checkpoint_row != job.checkpoint_row:
                raise JobSuperseded
            if locked.cancel_requested:
                raise JobCancelled
            self._apply(rows)
            counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, SKIPPED: 0, FAILED: 0}
            errors: list[dict] = []
            for row in rows:
                outcome = row.outcome if row.ok else (SKIPPED if row.outcome == SKIPPED else FAILED)
                counts[outcome] += 1
                if row.errors:
                    errors.append({
                        "msp_id": self.msp.pk, "job_id": job.pk, "row_number": row.number, "cells": row.cells,
                        "outcome": ImportRowError.Outcome.SKIPPED if outcome == SKIPPED else ImportRowError.Outcome.FAILED,
                        "errors": [{"column": row.sources.get(key) or self.header_of.get(key, ""),
                                    "value": row.values.get(key, ""),
                                    "message": message} for key, message in row.errors]})
            insert_rows(ImportRowError, errors)
            for name, value in counts.items():
                setattr(job, name, getattr(job, name) + value)
            job.processed_rows += len(rows)
            job.checkpoint_row = rows[-1].number
            job.heartbeat_at = timezone.now()
            job.save(update_fields=[*counts, "processed_rows", "checkpoint_row", "heartbeat_at"])
            if not job.dry_run:
                self.processor.after_batch_commit()


def _finish(job: ImportJob, status: str, message: str = "") -> None:
    job.status = status
    job.error_message = message
    job.finished_at = timezone.now()
    if status == ImportJob.Status.SUCCEEDED:
        job.total_rows = job.processed_rows
    job.save(update_fields=["status", "error_message", "finished_at", "total_rows"])


def import_job_run(*, msp, job_id: int) -> ImportJob:
    """Run (or resume) job `job_id` of `msp` to the end. Never raises for bad input:
    the job ends failed with a plain message, or succeeded with row errors."""
    job = ImportJob.objects.select_related("created_by", "msp").get(msp=msp, pk=job_id)
    if job.is_done or job.status == ImportJob.Status.MAPPING:
        return job
    if job.cancel_requested:
        _finish(job, ImportJob.Status.CANCELLED)
        return job
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])
    runner = None
    try:
        runner = JobRunner(job)
        runner.run()
    except JobSuperseded:
        return job
    except JobCancelled:
        _finish(job, ImportJob.Status.CANCELLED, "Cancelled: rows of batches committed before are kept.")
        return job
    except ReadError as exc:
        _finish(job, ImportJob.Status.FAILED, str(exc))
        return job
    except Exception:
        log.exception("import job %s failed", job.pk)
        _finish(job, ImportJob.Status.FAILED, "The import stopped on an unexpected error; our team has been "
                                              "notified. Rows of committed batches are kept: run it again to "
                                              "continue.")
        return job
    _finish(job, ImportJob.Status.SUCCEEDED)
    if not job.dry_run:
        audit_record(msp=msp, actor=job.created_by, action="import.run", obj=job,
                     changes={"kind": job.kind, "mode": job.mode, "file": job.original_name, **job.counts})
        runner.processor.after_commit()
    return job


def remembered_mapping(*, msp, kind: str) -> dict[str, str]:
    from .models import ColumnMapping

    return dict(ColumnMapping.objects.filter(msp=msp, kind=kind).values_list("header_key", "field_key"))


__all__ = ["BATCH_ROWS", "header_key", "import_job_run", "remembered_mapping"]
