"""Sync one tenant now, in this process, and print the run's counts:

    python manage.py m365_sync --msp northwind --tenant <tenant-guid> [--full]

Exit status 1 when the run did not succeed (its friendly message is printed)."""

import json

from django.core.management.base import BaseCommand, CommandError

from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.sync import tenant_sync
from opsmerge.tenancy import msp_scope

from ._m365 import msp_by_slug


class Command(BaseCommand):
    help = "Sync users → contacts and devices → assets of one Microsoft 365 tenant now."

    def add_arguments(self, parser):
        parser.add_argument("--msp", required=True, help="MSP slug")
        parser.add_argument("--tenant", required=True, help="Entra tenant id (GUID)")
        parser.add_argument("--full", action="store_true", help="full listing instead of the stored delta")
        parser.add_argument("--json", action="store_true", help="print the run as one JSON object")

    def handle(self, *args, **opts):
        msp = msp_by_slug(opts["msp"])
        with msp_scope(msp):
            tenant = M365Tenant.objects.select_related("client").filter(msp=msp, tenant_id=opts["tenant"]).first()
            if tenant is None:
                raise CommandError(f"Tenant {opts['tenant']} is not connected in MSP {msp.slug}.")
            run = tenant_sync(msp=msp, tenant=tenant, trigger=SyncRun.Trigger.COMMAND, full=opts["full"])
            if opts["json"]:
                self.stdout.write(json.dumps({"run": run.pk, "status": run.status, "counts": run.counts,
                                              "pages": run.pages, "requests": run.requests,
                                              "error_code": run.error_code, "message": run.error_message}))
            else:
                self.stdout.write(f"Run #{run.pk}: {run.get_status_display()} · {run.pages} pages, "
                                  f"{run.requests} Graph requests")
                for kind, counts in (run.counts or {}).items():
                    self.stdout.write(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
                for note in run.notes or []:
                    self.stdout.write(f"  note: {note}")
            if run.status != SyncRun.Status.SUCCEEDED:
                raise CommandError(f"{run.error_code}: {run.error_message}")
