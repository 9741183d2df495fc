"""CSV import of 100,000 contacts: OpsMerge (Celery job) vs django-import-export vs COPY.

The file has 20% updates of existing contacts, 10% invalid rows of varied kinds and
70% new contacts. OpsMerge runs end to end in a real Celery worker process (upload →
job → done; its peak RSS is the worker's VmHWM). django-import-export imports the same
valid rows into the same table with its documented bulk settings, inside a
transaction rolled back afterwards so both start from the same state. COPY loads the
same valid rows into a scratch copy of the contacts table (same columns, same
indexes): the physical floor.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
# BENCH_IMPORT_COMPARE=0 measures OpsMerge alone (the django-import-export leg takes
# about half an hour at 100,000 rows), =copy adds the COPY floor only; the full
# comparison is the default.
_COMPARE = os.environ.get("BENCH_IMPORT_COMPARE", "1")
COMPARE_IE = _COMPARE not in ("0", "copy")
COMPARE_COPY = _COMPARE != "0"
HEAD = ["FirstName", "LastName", "Email", "ClientName", "Phone", "JobTitle", "Department", "Billing"]


def _make_file(path: Path, *, existing: list[tuple[str, str]], clients: list[str]) -> list[list[str]]:
    """Write the CSV; return the valid rows (for the other two contenders)."""
    invalid = ROWS // 10
    valid_rows: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEAD)
        for n in range(ROWS):
            client = clients[n % len(clients)]
            if n % 10 == 9 and invalid:  # 10% invalid, of varied kinds
                kind = (n // 10) % 7
                row = [f"Bad{n}", "Row", f"bad{n}@import.example", client, "", "Engineer", "IT", "no"]
                if kind == 0:
                    row[2] = f"not-an-email-{n}"
                elif kind == 1:
                    row[3] = f"No Such Client {n}"
                elif kind == 2:
                    row[4] = "call me maybe"
                elif kind == 3:
                    row[7] = "perhaps"
                elif kind == 4:
                    row[0] = "X" * 150
                elif kind == 5:
                    row[2] = ""
                else:
                    row[2] = f"new{n - 8}@import.example"  # duplicate of an earlier row in the file
                writer.writerow(row)
                continue
            if n % 5 == 0 and n // 5 < len(existing):  # 20% updates of existing contacts
                email, owner = existing[n // 5]
                row = [f"Updated{n}", "Person", email.upper(), owner, "+44 20 7946 0000", "Manager", "Ops", "yes"]
            else:
                row = [f"New{n}", "Person", f"new{n}@import.example", client, "+1 415 555 0100", "Engineer", "IT",
                       "no"]
            writer.writerow(row)
            valid_rows.append(row)
    return valid_rows


def _start_worker(env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "opsmerge", "worker", "-P", "solo", "-c", "1", "--without-mingle",
         "--without-gossip", "--without-heartbeat", "-l", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    from opsmerge.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: {proc.stderr.read()[-2000:]}")
        if app.control.ping(timeout=0.5):
            return proc
    raise RuntimeError("celery worker did not start")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _opsmerge(msp, user, path: Path) -> tuple[float, float, dict]:
    from django.core.files import File

    from integrations.imports.models import ImportJob
    from integrations.imports.services import import_job_create, import_job_start
    from opsmerge.tenancy import msp_scope

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    worker = _start_worker(env)
    try:
        with msp_scope(msp):
            started = time.perf_counter()
            with path.open("rb") as fh:
                job = import_job_create(msp=msp, actor=user, upload=File(fh, name=path.name), kind="contacts",
                                        dry_run=False)
            import_job_start(msp=msp, job=job, actor=user)
            while True:
                job.refresh_from_db()
                if job.status in ImportJob.DONE_STATUSES:
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
        peak = _peak_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if job.status != "succeeded":
        raise RuntimeError(f"import job {job.status}: {job.error_message}")
    return seconds, peak, {**job.counts, "rows": job.processed_rows, "job_id": job.pk}


def _import_export(msp, valid_rows: list[list[str]]) -> float:
    """django-import-export, bulk mode (use_bulk, batch_size, skip_diff), rolled back."""
    import tablib
    from django.db import transaction
    from import_export import fields, resources, widgets

    from clients.models import Client
    from contacts.models import Contact
    from opsmerge.tenancy import msp_scope

    class ContactResource(resources.ModelResource):
        client = fields.Field(column_name="ClientName", attribute="client",
                              widget=widgets.ForeignKeyWidget(Client, "name"))
        first_name = fields.Field(column_name="FirstName", attribute="first_name")
        last_name = fields.Field(column_name="LastName", attribute="last_name")
        email = fields.Field(column_name="Email", attribute="email")
        phone = fields.Field(column_name="Phone", attribute="phone")
        job_title = fields.Field(column_name="JobTitle", attribute="job_title")
        department = fields.Field(column_name="Department", attribute="department")
        is_billing = fields.Field(column_name="Billing", attribute="is_billing", widget=widgets.BooleanWidget())

        class Meta:
            model = Contact
            fields = ("first_name", "last_name", "email", "client", "phone", "job_title", "department",
                      "is_billing")
            import_id_fields = ("email",)
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            skip_html_diff = True
            use_transactions = False

        def get_queryset(self):
            return Contact.objects.filter(msp=msp)

        def init_instance(self, row=None):
            return Contact(msp=msp, source=Contact.Source.IMPORT)

    rows = [[r[0], r[1], r[2].lower(), r[3], r[4], r[5], r[6], "1" if r[7] == "yes" else "0"] for r in valid_rows]
    dataset = tablib.Dataset(*rows, headers=HEAD)
    with msp_scope(msp), transaction.atomic():
        started = time.perf_counter()
        result = ContactResource().import_data(dataset, dry_run=False, raise_errors=True)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    if result.has_errors() or result.has_validation_errors():
        raise RuntimeError("django-import-export reported errors on valid rows")
    return seconds


def _copy(msp, valid_rows: list[list[str]]) -> float:
    from django.db import connection, transaction

    from bench.scale import _column_defaults
    from clients.models import Client
    from contacts.models import Contact
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        client_ids = dict(Client.objects.filter(msp=msp).values_list("name", "id"))
    given = ["msp_id", "client_id", "first_name", "last_name", "email", "phone", "job_title", "department",
             "is_billing"]
    rest, defaults = _column_defaults(Contact, given)
    names = ", ".join(f'"{c}"' for c in [*given, *rest])
    table = Contact._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE copy_floor (LIKE "{table}" INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)')
        started = time.perf_counter()
        with cursor.copy(f"COPY copy_floor ({names}) FROM STDIN") as copy:
            for r in valid_rows:
                copy.write_row((msp.pk, client_ids[r[3]], r[0], r[1], r[2].lower(), r[4], r[5], r[6], r[7] == "yes",
                                *defaults))
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE copy_floor")
    return seconds


def run():
    from bench.harness import result
    from bench.scale import admin_for, seed_scale
    from clients.models import Client
    from contacts.models import Contact
    from opsmerge.tenancy import msp_scope

    msp = seed_scale(clients=200, contacts=ROWS // 5, noise=False)
    user = admin_for(msp)
    with msp_scope(msp):
        clients = list(Client.objects.filter(msp=msp).not_archived().order_by("pk").values_list("name", flat=True))
        existing = [(e, c) for e, c in Contact.objects.filter(msp=msp, client__name__in=clients).exclude(email="")
                    .order_by("pk").values_list("email", "client__name")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        valid_rows = _make_file(path, existing=existing, clients=clients)
        ie_seconds = _import_export(msp, valid_rows) if COMPARE_IE else None
        copy_seconds = _copy(msp, valid_rows) if COMPARE_COPY else None
        with msp_scope(msp):
            before = Contact.objects.filter(msp=msp).count()
        seconds, peak, counts = _opsmerge(msp, user, path)
    job_id = counts.pop("job_id")
    yield result("import_seconds", seconds, "s", "<= 20") | {"rows": ROWS, "counts": counts}
    yield result("import_rows_per_s", ROWS / seconds, "rows/s", ">= 5000")
    yield result("import_peak_mb", peak, "MB", "<= 500")
    undo_seconds, after_undo = _undo(msp, user, job_id)
    if after_undo != before:
        raise RuntimeError(f"undo left {after_undo} contacts, expected {before}")
    yield result("undo_seconds", undo_seconds, "s", "<= 20") | {"created": counts["created"],
                                                                  "updated": counts["updated"]}
    if COMPARE_COPY:
        yield result("copy_seconds", copy_seconds, "s", None) | {"valid_rows": len(valid_rows)}
        yield result("ratio_vs_copy", seconds / copy_seconds, "x", "<= 10")
    if COMPARE_IE:
        yield result("import_export_seconds", ie_seconds, "s", None) | {"valid_rows": len(valid_rows)}
        yield result("ratio_vs_import_export", ie_seconds / seconds, "x", ">= 10")


def _undo(msp, user, job_id: int) -> tuple[float, int]:
    """Undo of the whole committed job, in-process (the web and API call the same service)."""
    from contacts.models import Contact
    from integrations.imports.models import ImportJob
    from integrations.imports.undo import import_job_undo
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        job = ImportJob.objects.get(msp=msp, pk=job_id)
        started = time.perf_counter()
        import_job_undo(msp=msp, job=job, actor=user)
        seconds = time.perf_counter() - started
        return seconds, Contact.objects.filter(msp=msp).count()
