"""python manage.py import_csv --msp SLUG --kind contacts FILE [--mode …] [--dry-run]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Msp
from integrations.imports.columns import KINDS, headers_for
from integrations.imports.engine import import_job_run
from integrations.imports.models import ImportJob
from integrations.imports.services import import_job_create, mapping_errors
from opsmerge.tenancy import msp_scope


class Command(BaseCommand):
    help = "Import a CSV or .xlsx file of clients, contacts or sites into one MSP (runs in this process)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--msp", required=True, help="slug of the MSP")
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--mode", default=ImportJob.Mode.CREATE_UPDATE, choices=ImportJob.Mode.values)
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            msp = Msp.objects.get(slug=options["msp"])
        except Msp.DoesNotExist:
            raise CommandError(f"No MSP with slug {options['msp']!r}") from None
        with msp_scope(msp), path.open("rb") as fh:
            try:
                job = import_job_create(msp=msp, actor=None, upload=fh, kind=options["kind"], mode=options["mode"],
                                        dry_run=options["dry_run"], name=path.name)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            if job.status == ImportJob.Status.FAILED:
                raise CommandError(job.error_message)
            errors = mapping_errors(kind=job.kind, mapping={int(i): k for i, k in job.mapping.items()}, msp=msp)
            if errors:
                raise CommandError(" ".join(errors) + f" Expected headers: {', '.join(headers_for(job.kind, msp))}.")
            job.status = ImportJob.Status.QUEUED
            job.save(update_fields=["status"])
            job = import_job_run(msp=msp, job_id=job.pk)
            self._report(job)
            if job.status != ImportJob.Status.SUCCEEDED:
                raise CommandError(job.error_message or f"Import {job.status}.")

    def _report(self, job):
        label = "Dry run" if job.dry_run else "Import"
        counts = ", ".join(f"{n} {k}" for k, n in job.counts.items())
        self.stdout.write(f"{label} #{job.pk} {job.status}: {job.processed_rows} rows ({counts})")
        for error in job.row_errors.order_by("row_number")[:50]:
            for item in error.errors:
                column = f" [{item['column']}]" if item["column"] else ""
                value = f" “{item['value']}”" if item["value"] else ""
                self.stdout.write(f"  row {error.row_number}{column}{value}: {item['message']}")
        more = job.row_errors.count() - 50
        if more > 0:
            self.stdout.write(f"  … and {more} more rows with errors")
