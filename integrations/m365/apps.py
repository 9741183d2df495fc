from django.apps import AppConfig
from django.db.models.signals import post_save


class M365Config(AppConfig):
    name = "integrations.m365"
    label = "m365"
    verbose_name = "Microsoft 365"

    def ready(self):
        from accounts.models import Msp
        from opsmerge.registry import (
            ClientTab,
            DeleteGate,
            NavItem,
            Panel,
            client_delete_gates,
            client_tabs,
            nav,
            panels,
        )

        from . import panels as p

        nav.register(NavItem("Integrations", "m365:index", "plug", namespaces=("m365",)), before="activity")
        client_tabs.register(ClientTab("m365", "Microsoft 365", "m365:client_tenants", kwarg="client_pk"),
                             before="activity")
        panels.register(Panel("clients.Client", "m365", "m365/_client_stat.html", p.client_tenants, slot="stats"))
        panels.register(Panel("clients.Client", "m365_tenants", "m365/_client_tenants_card.html", p.client_tenants))
        client_delete_gates.register(DeleteGate("m365_connected", p.connected_tenants_gate))
        post_save.connect(_msp_saved, sender=Msp, dispatch_uid="m365-schedule-interval")


def _msp_saved(sender, instance, created, raw=False, **kwargs):
    """Keep the MSP's beat interval in step with Msp.m365_sync_interval_minutes."""
    if raw or created:
        return
    from .services import schedule_ensure

    schedule_ensure(msp=instance, create=False)
