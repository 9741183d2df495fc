"""Job mechanics: resume after a killed worker, cancellation, the real Celery path,
the web flow, template downloads, failed-rows CSV, export round trip."""

import csv
import io
import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.tests.factories import TechGroupFactory
from clients.models import Client
from contacts.models import Contact
from integrations.imports import engine
from integrations.imports.columns import headers_for
from integrations.imports.exporting import export_response
from integrations.imports.models import ImportJob
from integrations.imports.processors.contacts import ContactsProcessor
from integrations.imports.services import (
    import_job_cancel,
    import_job_create,
    import_job_set_mapping,
    import_job_start,
)
from opsmerge.tenancy import msp_scope

from .conftest import csv_bytes, errors_of

HEAD = ["FirstName", "LastName", "Email"]


def people(n, start=0):
    return [HEAD] + [[f"P{i}", "Test", f"p{i}@x.example"] for i in range(start, start + n)]


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the engine catches it."""


@pytest.mark.django_db
def test_killed_worker_leaves_no_half_batch_and_resumes(msp, run_import, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_ROWS", 3)
    real_apply = ContactsProcessor.apply
    calls = {"n": 0}

    def dying_apply(self, rows, *, mode):
        calls["n"] += 1
        real_apply(self, rows, mode=mode)  # the rows are written …
        if calls["n"] == 2:
            raise WorkerKilled  # … and the worker dies before the batch commits

    monkeypatch.setattr(ContactsProcessor, "apply", dying_apply)
    content = csv_bytes(people(8))
    with pytest.raises(WorkerKilled):
        run_import("contacts", content)
    with msp_scope(msp):
        job = ImportJob.objects.get(msp=msp)
        assert (job.status, job.checkpoint_row, job.created) == ("running", 4, 3)
        assert Contact.objects.filter(msp=msp).count() == 3  # batch 2 left nothing behind

    monkeypatch.setattr(ContactsProcessor, "apply", real_apply)
    with msp_scope(msp):
        job = engine.import_job_run(msp=msp, job_id=job.pk)
        assert (job.status, job.created, job.processed_rows, job.checkpoint_row) == ("succeeded", 8, 8, 9)
        assert Contact.objects.filter(msp=msp).count() == 8
    again = run_import("contacts", content)
    assert (again.unchanged, again.created) == (8, 0)


@pytest.mark.django_db
def test_within_file_duplicates_survive_a_resume(msp, run_import, monkeypatch):
    """Rows before the checkpoint are re-validated (not re-written) on resume, so a
    duplicate after the checkpoint is still recognised as one."""
    monkeypatch.setattr(engine, "BATCH_ROWS", 2)
    rows = [*people(3), ["Again", "Dup", "p0@x.example"]]
    real_apply = ContactsProcessor.apply

    def dying_apply(self, rows, *, mode):
        real_apply(self, rows, mode=mode)
        if rows[0].number > 3:
            raise WorkerKilled

    monkeypatch.setattr(ContactsProcessor, "apply", dying_apply)
    with pytest.raises(WorkerKilled):
        run_import("contacts", csv_bytes(rows))
    monkeypatch.setattr(ContactsProcessor, "apply", real_apply)
    with msp_scope(msp):
        job = engine.import_job_run(msp=msp, job_id=ImportJob.objects.get(msp=msp).pk)
    assert (job.created, job.failed) == (3, 1)
    assert "Same email as row 2" in errors_of(job)[0][3]


@pytest.mark.django_db
def test_cancel_stops_between_batches(msp, user, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_ROWS", 2)
    real_apply = ContactsProcessor.apply

    def cancel_after_first(self, rows, *, mode):
        real_apply(self, rows, mode=mode)
        ImportJob.objects.filter(pk=self.job.pk).update(cancel_requested=True)

    monkeypatch.setattr(ContactsProcessor, "apply", cancel_after_first)
    with msp_scope(msp):
        job = import_job_create(msp=msp, actor=user, upload=ContentFile(csv_bytes(people(6)), name="p.csv"),
                                kind="contacts", dry_run=False)
        ImportJob.objects.filter(pk=job.pk).update(status="queued")
        job = engine.import_job_run(msp=msp, job_id=job.pk)
        assert (job.status, job.created) == ("cancelled", 2)
        assert Contact.objects.filter(msp=msp).count() == 2
        queued = import_job_create(msp=msp, actor=user, upload=ContentFile(csv_bytes(people(1)), name="q.csv"),
                                   kind="contacts")
        assert import_job_cancel(msp=msp, job=queued, actor=user).status == "cancelled"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_celery_worker_runs_the_job(celery_worker, msp, user):
    with msp_scope(msp):
        job = import_job_create(msp=msp, actor=user, upload=ContentFile(csv_bytes(people(5)), name="p.csv"),
                                kind="contacts", dry_run=False)
        import_job_set_mapping(msp=msp, job=job, actor=user, mapping={0: "first_name", 1: "last_name", 2: "email"})
        import_job_start(msp=msp, job=job, actor=user)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_done:
                break
            time.sleep(0.2)
        assert (job.status, job.created) == ("succeeded", 5), job.error_message
        assert Contact.objects.filter(msp=msp).count() == 5


@pytest.mark.django_db
def test_web_flow_upload_map_dry_run_commit(web, msp, scoped):
    """on_commit never fires inside the test transaction, so the queued jobs are run
    here in-process; the Celery path has its own test above."""
    assert web.get(reverse("imports:list")).status_code == 200
    upload = ContentFile(b"Given Name,Surname,E-mail,Company\r\nAnn,Lee,ann@x.example,\r\nBob,Ray,bad,\r\n",
                         name="people.csv")
    response = web.post(reverse("imports:list"), {"kind": "contacts", "mode": "create_update", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.filter(msp=msp).get()
    page = web.get(response["Location"]).content.decode()
    assert "Map your columns" in page
    assert job.mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "client"}

    bad = web.post(reverse("imports:mapping", args=[job.pk]), {"mode": "create_update", "col_0": "first_name",
                                                                 "col_1": "", "col_2": "", "col_3": ""})
    assert bad.status_code == 400
    assert "Missing mandatory columns: LastName, Email." in bad.content.decode()

    response = web.post(reverse("imports:mapping", args=[job.pk]), {
        "mode": "create_update", "col_0": "first_name", "col_1": "last_name", "col_2": "email", "col_3": "client",
        "action": "dry_run"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    with msp_scope(msp):
        engine.import_job_run(msp=msp, job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created, job.failed) == ("succeeded", True, 1, 1)
    progress = web.get(reverse("imports:progress", args=[job.pk]))
    assert progress.status_code == 200 and "count-created" in progress.content.decode()
    failed = web.get(reverse("imports:failed_rows", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(failed.streaming_content).decode("utf-8-sig"))))
    assert rows == [["Given Name", "Surname", "E-mail", "Company", "error"],
                    ["Bob", "Ray", "bad", "", "Row 3: E-mail: Not a valid email address."]]

    response = web.post(reverse("imports:commit", args=[job.pk]))
    commit = ImportJob.objects.filter(msp=msp, source_job=job).get()
    with msp_scope(msp):
        engine.import_job_run(msp=msp, job_id=commit.pk)
        assert Contact.objects.filter(msp=msp, email="ann@x.example").exists()

    # the next upload with the same headers is mapped the way this MSP mapped it
    web.post(reverse("imports:list"), {"kind": "contacts", "mode": "create", "file": ContentFile(
        b"Given Name,Surname,E-mail,Company\r\n", name="again.csv")})
    assert ImportJob.objects.filter(msp=msp).order_by("-pk").first().mapping["3"] == "client"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["clients", "contacts", "sites"])
def test_template_download_has_exact_headers(web, kind):
    response = web.get(reverse("imports:template") + f"?kind={kind}")
    assert response.status_code == 200
    assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == headers_for(kind)


@pytest.mark.django_db
def test_import_needs_the_import_permission(login, make_user):
    tech = make_user(role="technician")
    assert login(tech).get(reverse("imports:list")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trip_changes_nothing(msp, user, run_import, make_user, fmt):
    make_user(email="am@northwind.example")
    with msp_scope(msp):
        TechGroupFactory(msp=msp, name="Desk")
    clients = csv_bytes([headers_for("clients"), [
        "=Evil Corp", "Ann", "Lee", "ann@evil.example", "-HQ", "Europe/London", "44", "2079460000", "1 Road",
        "London", "N1", "GB-LND", "GB", "evil.example, evil.co.uk", "am@northwind.example", "Desk",
        "+Legal", "https://evil.example", "gold, @vip"],
        ["Plain Ltd", "Bo", "Ray", "bo@plain.example", "Main", "UTC", "", "", "", "", "", "", "", "", "", "", "",
         "", ""]])
    assert run_import("clients", clients).created == 2
    contacts = csv_bytes([headers_for("contacts"),
                          ["Cy", "=Dee", "cy@evil.example", "=Evil Corp", "+44 20 7946 0000", "", "", "Ops", "",
                           "person", "", "no", "yes", "no", "yes", "yes", "yes", "@home, blue"],
                          ["", "", "org@evil.example", "", "", "", "", "", "", "organisation", "Evil Holdings",
                           "", "", "", "", "", "no", ""]])
    first = run_import("contacts", contacts)
    assert (first.created, first.failed) == (2, 0), errors_of(first)
    for kind, model in (("clients", Client), ("contacts", Contact)):
        with msp_scope(msp):
            response = export_response(msp=msp, kind=kind, queryset=model.objects.filter(msp=msp), fmt=fmt)
        body = b"".join(response.streaming_content)
        again = run_import(kind, body, name=f"export.{fmt}")
        assert again.status == "succeeded", again.error_message
        assert (again.created, again.updated, again.failed, again.skipped) == (0, 0, 0, 0), errors_of(again)
        with msp_scope(msp):
            assert again.unchanged == model.objects.filter(msp=msp).count()
