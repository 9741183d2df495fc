"""Import jobs: upload, map columns, start (dry run or commit), cancel, resume.
Views, the API and the import_csv command all call these."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import Op, require
from opsmerge.audit import audit_record
from opsmerge.files import local_path

from .columns import KINDS, auto_mapping, columns_for, header_key, missing_required
from .engine import remembered_mapping
from .exporting import Echo, neutralise
from .formats import FORMATS, format_mapping
from .formats import detect as detect_export_format
from .models import ColumnMapping, ImportJob
from .processors.clients import LIKELY_PREFIX
from .reading import ReadError, inspect

STALLED_AFTER = timezone.timedelta(minutes=5)


def _enqueue(job: ImportJob) -> None:
    from .tasks import import_run

    msp_id, job_id = job.msp_id, job.pk
    transaction.on_commit(lambda: import_run.delay(msp_id, job_id))


def initial_mapping(*, msp, kind: str, headers: list[str], source_format: str = "", into_client: bool = False
                    ) -> dict[int, str]:
    """A recognised export's own mapping, else the automatic one (exact headers, this
    MSP's remembered choices, synonyms). Into a client, a column a format maps to
    ClientName becomes the person's organisation name."""
    fmt = FORMATS.get(source_format)
    if fmt is None:
        return auto_mapping(kind, headers, remembered_mapping(msp=msp, kind=kind), msp=msp, into_client=into_client)
    mapping = format_mapping(fmt, headers)
    if into_client:
        taken = set(mapping.values())
        mapping = {i: ("organisation_name" if k == "client" else k) for i, k in mapping.items()
                   if k != "client" or "organisation_name" not in taken}
    return mapping


@transaction.atomic
def import_job_create(*, msp, actor, upload, kind: str, mode: str = ImportJob.Mode.CREATE_UPDATE,
                      dry_run: bool = True, name: str = "", client=None) -> ImportJob:
    """Store the upload and read its header. A file that cannot be read still makes
    a job (status failed, with the reason), so every upload leaves a trace. With
    `client`, a contacts import puts every row into that client (seed 000)."""
    if actor is not None:
        require(actor, Op.IMPORT)
    if kind not in KINDS:
        raise ValidationError({"kind": "Choose clients, contacts or sites."})
    if client is not None:
        if client.msp_id != msp.pk:
            raise ValidationError({"client": "No such client."})
        if kind != "contacts":
            raise ValidationError({"client": "Only contacts can be imported into one client."})
        if client.status == client.Status.ARCHIVED:
            raise ValidationError({"client": f"{client.name} is archived: restore it before importing contacts."})
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": "Choose create, create_update or update."})
    size = getattr(upload, "size", None) or 0
    if size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": f"The file is {size // (1024 * 1024)} MB; the limit is "
                                       f"{settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB."})
    name = Path(name or getattr(upload, "name", "") or "upload.csv").name[:200]
    job = ImportJob(msp=msp, created_by=actor, kind=kind, mode=mode, dry_run=dry_run, original_name=name, size=size,
                    client=client)
    job.file.save(name, upload if hasattr(upload, "chunks") else File(upload, name=name), save=False)
    job.size = job.file.size
    try:
        with local_path(job.file) as path:
            info = inspect(path, name)
    except ReadError as exc:
        job.status, job.error_message, job.finished_at = ImportJob.Status.FAILED, str(exc), timezone.now()
        job.save()
        return job
    job.file_format, job.encoding, job.delimiter = info.file_format, info.encoding, info.delimiter
    job.headers, job.header_row, job.total_rows = info.headers, info.header_row, info.estimated_rows
    fmt = detect_export_format(kind, info.headers)
    job.source_format = fmt.key if fmt else ""
    job.mapping = {str(i): key for i, key in initial_mapping(
        msp=msp, kind=kind, headers=info.headers, source_format=job.source_format,
        into_client=client is not None).items()}
    job.save()
    return job


def mapping_errors(*, kind: str, mapping: dict[int, str], msp=None, into_client: bool = False,
                   source_format: str = "") -> list[str]:
    """With `msp`, its custom fields of the kind are valid targets too; a recognised
    export format supplies the mandatory fields its rules derive."""
    valid = {c.key: c.header for c in columns_for(kind, msp, into_client=into_client)}
    errors = []
    seen: dict[str, int] = {}
    for index, key in mapping.items():
        if key and key not in valid:
            errors.append(f"Unknown field “{key}”.")
        elif key and key in seen:
            errors.append(f"{valid[key]} is mapped twice; map each field to one column.")
        seen[key] = index
    fmt = FORMATS.get(source_format)
    missing = [h for h in missing_required(kind, mapping, fmt.supplies if fmt else ())
               if not (into_client and h == "ClientName")]
    if missing:
        errors.append("Missing mandatory column" + ("s: " if len(missing) > 1 else ": ") + ", ".join(missing)
                      + ". Map a column of your file to " + ("each of them." if len(missing) > 1 else "it."))
    return errors


def _job_mapping_errors(job: ImportJob, mapping: dict[int, str]) -> list[str]:
    return mapping_errors(kind=job.kind, mapping=mapping, msp=job.msp, into_client=job.client_id is not None,
                          source_format=job.source_format)


@transaction.atomic
def import_job_set_mapping(*, msp, job: ImportJob, actor, mapping: dict[int, str], remember: bool = True,
                           source_format: str | None = None) -> ImportJob:
    """Check and store the column mapping (and the export format whose rules apply,
    "" for none); remember the hand-made choices for this MSP's next upload of a
    generic file (a recognised export brings its own mapping)."""
    if actor is not None:
        require(actor, Op.IMPORT)
    if job.msp_id != msp.pk or job.status != ImportJob.Status.MAPPING:
        raise ValidationError("This import is not waiting for its column mapping.")
    if source_format is not None:
        if source_format and (source_format not in FORMATS or FORMATS[source_format].kind != job.kind):
            raise ValidationError({"source_format": f"Unknown export format “{source_format}”."})
        job.source_format = source_format
    mapping = {int(i): k for i, k in mapping.items() if 0 <= int(i) < len(job.headers)}
    errors = _job_mapping_errors(job, mapping)
    if errors:
        raise ValidationError({"mapping": errors})
    job.mapping = {str(i): k for i, k in mapping.items() if k}
    job.save(update_fields=["mapping", "source_format"])
    if remember and not job.source_format:
        ColumnMapping.objects.bulk_create(
            [ColumnMapping(msp=msp, kind=job.kind, header_key=header_key(h)[:200], field_key=mapping.get(i, ""))
             for i, h in enumerate(job.headers) if header_key(h)],
            update_conflicts=True, unique_fields=["msp", "kind", "header_key"], update_fields=["field_key",
                                                                                             "updated_at"])
    return job


@transaction.atomic
def import_job_start(*, msp, job: ImportJob, actor, dry_run: bool | None = None, mode: str | None = None
                     ) -> ImportJob:
    if actor is not None:
        require(actor, Op.IMPORT)
    if job.msp_id != msp.pk or job.status != ImportJob.Status.MAPPING:
        raise ValidationError("This import has already been started.")
    _require_file(job)
    errors = _job_mapping_errors(job, {int(i): k for i, k in job.mapping.items()})
    if errors:
        raise ValidationError({"mapping": errors})
    if dry_run is not None:
        job.dry_run = dry_run
    if mode is not None:
        if mode not in ImportJob.Mode.values:
            raise ValidationError({"mode": "Choose create, create_update or update."})
        job.mode = mode
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["dry_run", "mode", "status"])
    _enqueue(job)
    return job


@transaction.atomic
def import_job_commit(*, msp, job: ImportJob, actor, confirmed_rows=()) -> ImportJob:
    """Commit what a finished dry run checked: a new job over the same file and mapping.
    `confirmed_rows`: rows the dry run skipped as likely duplicates of existing clients
    that the user confirmed in its review (imported anyway)."""
    if actor is not None:
        require(actor, Op.IMPORT)
    if job.msp_id != msp.pk or not job.dry_run or job.status != ImportJob.Status.SUCCEEDED:
        raise ValidationError("Only a finished dry run can be committed.")
    _require_file(job)
    confirmable = set(likely_duplicate_rows(msp=msp, job=job).values_list("row_number", flat=True))
    confirmed = sorted({int(n) for n in confirmed_rows})
    if set(confirmed) - confirmable:
        raise ValidationError({"confirmed_rows": "Only rows the dry run listed as likely duplicates can be "
                                                 "confirmed."})
    commit = ImportJob.objects.create(
        msp=msp, created_by=actor, kind=job.kind, mode=job.mode, dry_run=False, status=ImportJob.Status.QUEUED,
        file=job.file.name, original_name=job.original_name, size=job.size, file_format=job.file_format,
        encoding=job.encoding, delimiter=job.delimiter, headers=job.headers, header_row=job.header_row,
        mapping=job.mapping, total_rows=job.total_rows, source_job=job, client=job.client,
        source_format=job.source_format, confirmed_rows=confirmed,
    )
    _enqueue(commit)
    return commit


@transaction.atomic
def import_job_cancel(*, msp, job: ImportJob, actor) -> ImportJob:
    if actor is not None:
        require(actor, Op.IMPORT)
    job = ImportJob.objects.select_for_update().get(msp=msp, pk=job.pk)
    if job.is_done:
        return job
    if job.status in (ImportJob.Status.MAPPING, ImportJob.Status.QUEUED):
        job.status, job.finished_at = ImportJob.Status.CANCELLED, timezone.now()
    job.cancel_requested = True
    job.save(update_fields=["status", "finished_at", "cancel_requested"])
    if not job.dry_run:
        audit_record(msp=msp, actor=actor, action="import.cancel", obj=job, changes=job.counts)
    return job


def _require_file(job: ImportJob) -> None:
    if job.file_removed_at or not job.file:
        raise ValidationError(f"{job.file_removed_note or 'The uploaded file is gone.'} Upload the file again to "
                              f"import it.")


def import_files_expire(*, msp, now=None, days: int | None = None) -> int:
    """Delete the uploaded files of this MSP's imports older than `days`
    (IMPORT_FILE_RETENTION_DAYS); the jobs stay, with their counts and row errors,
    and say when the file went. A dry run and its commit share one stored file: it
    goes when every job using it is old enough and none is queued or running.
    Idempotent: a second run finds nothing. Returns the number of files deleted."""
    now = now or timezone.now()
    days = settings.IMPORT_FILE_RETENTION_DAYS if days is None else days
    cutoff = now - timezone.timedelta(days=days)
    with_file = ImportJob.objects.filter(msp=msp, file_removed_at__isnull=True).exclude(file="")
    expired = set(with_file.filter(created_at__lt=cutoff).exclude(status__in=ImportJob.ACTIVE_STATUSES)
                  .values_list("file", flat=True))
    kept = set(with_file.filter(Q(created_at__gte=cutoff) | Q(status__in=ImportJob.ACTIVE_STATUSES), file__in=expired)
               .values_list("file", flat=True))
    storage = ImportJob._meta.get_field("file").storage
    removed = 0
    for name in sorted(expired - kept):
        storage.delete(name)  # first the file: if the update below fails, the next run retries (no-op delete)
        ImportJob.objects.filter(msp=msp, file=name, file_removed_at__isnull=True).update(file="",
                                                                                           file_removed_at=now)
        removed += 1
    return removed


def likely_duplicate_rows(*, msp, job: ImportJob):
    """The dry run's rows skipped as likely duplicates of existing clients: its review
    lists them so the user can confirm each one (import anyway)."""
    return job.row_errors.filter(msp=msp, outcome="skipped", errors__0__message__startswith=LIKELY_PREFIX)


def import_job_is_stalled(job: ImportJob) -> bool:
    beat = job.heartbeat_at or job.started_at
    return job.status == ImportJob.Status.RUNNING and beat is not None and timezone.now() - beat > STALLED_AFTER


@transaction.atomic
def import_job_resume(*, msp, job: ImportJob, actor) -> ImportJob:
    """Re-queue a job that failed on an unexpected error or whose worker died: it
    continues after its last committed batch."""
    if actor is not None:
        require(actor, Op.IMPORT)
    job = ImportJob.objects.select_for_update().get(msp=msp, pk=job.pk)
    resumable = (job.status == ImportJob.Status.FAILED and job.headers) or import_job_is_stalled(job)
    if not resumable:
        raise ValidationError("Only a failed or stalled import can be resumed.")
    _require_file(job)
    job.status, job.error_message, job.finished_at = ImportJob.Status.QUEUED, "", None
    job.save(update_fields=["status", "error_message", "finished_at"])
    _enqueue(job)
    return job


def failed_rows_csv(*, msp, job: ImportJob) -> Iterator[str]:
    """The rows that were not applied, as the user uploaded them, plus an "error"
    column: fix them and upload this file again. Opens its own scope (streamed)."""
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        writer = csv.writer(Echo())
        yield "\ufeff"
        yield writer.writerow([*job.headers, "error"])
        width = len(job.headers)
        for error in job.row_errors.filter(msp=msp).order_by("row_number").iterator(chunk_size=2000):
            cells = (list(error.cells) + [""] * width)[:max(width, len(error.cells))]
            yield writer.writerow([neutralise(c) for c in cells] + [f"Row {error.row_number}: {error.message}"])
