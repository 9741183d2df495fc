"""Connect an already-consented tenant to a client, app-only, for scripted use:

    python manage.py m365_connect --msp northwind --client 12 --tenant <tenant-guid>

The tenant is verified through /organization (it must name the same tenant) before
it is stored, exactly like the consent callback."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clients.models import Client
from integrations.m365.errors import M365Error
from integrations.m365.services import tenant_connect
from opsmerge.tenancy import msp_scope

from ._m365 import msp_by_slug


class Command(BaseCommand):
    help = "Connect a consented Microsoft 365 tenant to a client (verified through /organization)."

    def add_arguments(self, parser):
        parser.add_argument("--msp", required=True, help="MSP slug")
        parser.add_argument("--client", required=True, type=int, help="client id")
        parser.add_argument("--tenant", required=True, help="Entra tenant id (GUID)")

    def handle(self, *args, **opts):
        msp = msp_by_slug(opts["msp"])
        with msp_scope(msp):
            client = Client.objects.filter(msp=msp, pk=opts["client"]).first()
            if client is None:
                raise CommandError(f"No client {opts['client']} in MSP {msp.slug}.")
            try:
                tenant = tenant_connect(msp=msp, client=client, tenant_id=opts["tenant"], patience=0)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            except M365Error as exc:
                raise CommandError(f"{exc.code}: {exc.friendly}") from None
            domains = ", ".join(d["name"] for d in tenant.verified_domains)
            self.stdout.write(f"Connected {tenant.display_name} ({tenant.tenant_id}) to {client.name} "
                              f"[tenant #{tenant.pk}]; verified domains: {domains}")
