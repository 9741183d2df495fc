"""Import uploads are deleted IMPORT_FILE_RETENTION_DAYS after the upload by a daily
beat task; the jobs stay with their counts and row errors, and say so."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import MspFactory, UserFactory
from integrations.imports.models import ImportJob
from integrations.imports.services import import_files_expire, import_job_commit, import_job_resume
from integrations.imports.tasks import import_files_expire_all
from opsmerge.celery import app as celery_app
from opsmerge.tenancy import msp_scope, unscoped

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["Name", "Email"], ["Ada Lovelace", "ada@example.com"], ["Bad Row", "not-an-email"]]


def _age(job, days):
    with unscoped("test"):
        ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(days=days))
        job.refresh_from_db()
    return job


@pytest.fixture
def old_dry_run(run_import, msp):
    job = run_import("contacts", csv_bytes(ROWS), name="Q1 contacts.csv", dry_run=True)
    assert job.status == ImportJob.Status.SUCCEEDED and job.failed == 1
    return _age(job, 31)


def test_upload_is_stored_per_msp(old_dry_run, msp):
    assert re.fullmatch(rf"msp/{msp.pk}/import/[A-Za-z0-9_-]{{32}}\.csv", old_dry_run.file.name)
    assert old_dry_run.original_name == "Q1 contacts.csv"


def test_old_files_are_deleted_jobs_and_row_errors_stay_and_a_second_run_does_nothing(old_dry_run, msp, run_import):
    fresh = run_import("contacts", csv_bytes(ROWS), name="fresh.csv", dry_run=True)
    old_name, fresh_name = old_dry_run.file.name, fresh.file.name
    with msp_scope(msp):
        assert import_files_expire(msp=msp) == 1
        assert import_files_expire(msp=msp) == 0  # idempotent
        old_dry_run.refresh_from_db()
        fresh.refresh_from_db()
        assert old_dry_run.row_errors.count() == 1
    assert not default_storage.exists(old_name) and default_storage.exists(fresh_name)
    assert old_dry_run.file_removed_at is not None and not old_dry_run.file
    assert (old_dry_run.created, old_dry_run.failed, old_dry_run.original_name) == (1, 1, "Q1 contacts.csv")
    assert fresh.file_removed_at is None and fresh.file.name == fresh_name


def test_a_file_shared_with_a_recent_or_running_commit_is_kept(old_dry_run, msp, user):
    with msp_scope(msp):
        commit = ImportJob.objects.create(msp=msp, created_by=user, kind="contacts", dry_run=False,
                                          status=ImportJob.Status.QUEUED, file=old_dry_run.file.name,
                                          original_name=old_dry_run.original_name, source_job=old_dry_run)
        _age(commit, 40)  # old, but queued: its worker still needs the file
        assert import_files_expire(msp=msp) == 0
        ImportJob.objects.filter(pk=commit.pk).update(status=ImportJob.Status.SUCCEEDED,
                                                      created_at=timezone.now())
        assert import_files_expire(msp=msp) == 0  # the commit is recent
        ImportJob.objects.filter(pk=commit.pk).update(created_at=timezone.now() - timezone.timedelta(days=31))
        assert import_files_expire(msp=msp) == 1
        assert ImportJob.objects.filter(msp=msp, file_removed_at__isnull=False).count() == 2


def test_the_retention_setting_is_honoured(run_import, msp, settings):
    job = _age(run_import("contacts", csv_bytes(ROWS), dry_run=True), 8)
    settings.IMPORT_FILE_RETENTION_DAYS = 10
    with msp_scope(msp):
        assert import_files_expire(msp=msp) == 0
    settings.IMPORT_FILE_RETENTION_DAYS = 7
    with msp_scope(msp):
        assert import_files_expire(msp=msp) == 1
    assert not default_storage.exists(job.file.name)


def test_job_page_says_the_file_was_removed_and_nothing_can_run_it_again(old_dry_run, msp, user, web):
    with msp_scope(msp):
        import_files_expire(msp=msp)
        old_dry_run.refresh_from_db()
    page = web.get(reverse("imports:detail", kwargs={"pk": old_dry_run.pk})).content.decode()
    assert f"The uploaded file was removed after {settings.IMPORT_FILE_RETENTION_DAYS} days" in page
    assert 'data-testid="commit"' not in page
    assert "Failed rows (CSV)" in page  # the row errors stay downloadable
    with msp_scope(msp), pytest.raises(ValidationError, match="removed after 30 days"):
        import_job_commit(msp=msp, job=old_dry_run, actor=user)
    with unscoped("test"):
        ImportJob.objects.filter(pk=old_dry_run.pk).update(status=ImportJob.Status.FAILED)
        old_dry_run.refresh_from_db()
    with msp_scope(msp), pytest.raises(ValidationError, match="Upload the file again"):
        import_job_resume(msp=msp, job=old_dry_run, actor=user)


def test_the_beat_entry_runs_every_msp_in_its_own_scope(old_dry_run, msp, run_import):
    other = MspFactory(name="Bravo IT", slug="bravo")
    other_job = _age(run_import("contacts", csv_bytes(ROWS), dry_run=True, target=other,
                                actor=UserFactory(msp=other, email="b@bravo.example")), 45)
    entry = settings.CELERY_BEAT_SCHEDULE["import-files-expire"]
    assert entry["task"] == import_files_expire_all.name
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        assert import_files_expire_all.delay().get() >= 2
        assert import_files_expire_all.delay().get() >= 2  # again: nothing left, nothing fails
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
    with unscoped("test"):
        assert ImportJob.objects.get(pk=old_dry_run.pk).file_removed_at is not None
        assert ImportJob.objects.get(pk=other_job.pk).file_removed_at is not None
