from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from integrations.imports.engine import import_job_run
from integrations.imports.models import ImportJob
from integrations.imports.services import import_job_create
from opsmerge.tenancy import msp_scope


def csv_bytes(rows, *, delimiter=",", encoding="utf-8", newline="\r\n") -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def run_import(msp, user):
    """Upload `content` and run the job in-process (the Celery path has its own test)."""

    def run(kind, content: bytes, *, name="upload.csv", mode="create_update", dry_run=False, actor=user,
            target=None, client=None):
        target = target or msp
        with msp_scope(target):
            job = import_job_create(msp=target, actor=actor, upload=ContentFile(content, name=name), kind=kind,
                                    mode=mode, dry_run=dry_run, client=client)
            if job.status == ImportJob.Status.MAPPING:
                job.status = ImportJob.Status.QUEUED
                job.save(update_fields=["status"])
                job = import_job_run(msp=target, job_id=job.pk)
            job.refresh_from_db()
            return job

    return run


def errors_of(job):
    """[(row, column, value, message)] of a job, for readable assertions."""
    with msp_scope(job.msp):
        return [(e.row_number, item["column"], item["value"], item["message"])
                for e in job.row_errors.order_by("row_number") for item in e.errors]


SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    """A realistic export of one of the recognised formats (invented people, example domains)."""
    return (SAMPLES / name).read_bytes()
