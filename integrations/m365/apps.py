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
            ListColumn,
            ListFilter,
            NavItem,
            Panel,
            RelatedCount,
            SettingsPage,
            client_delete_gates,
            client_tabs,
            list_columns,
            list_filters,
            nav,
            panels,
            related_counts,
            settings_pages,
        )

        from . import health
        from . import panels as p

        nav.register(NavItem("Integrations", "m365:index", "plug", namespaces=("m365",)), before="activity")
        client_tabs.register(ClientTab("m365", "Microsoft 365", "m365:client_tenants", kwarg="client_pk"),
                             before="activity")
        panels.register(Panel("clients.Client", "m365", "m365/_client_stat.html", p.client_tenants, slot="stats"))
        panels.register(Panel("clients.Client", "m365_tenants", "m365/_client_tenants_card.html", p.client_tenants))
        for name, label, render, css in (("m365_tenants", "Tenants", p.render_tenant_count, "num"),
                                         ("m365_users", "Total users", p.render_licensed_users, "num"),
                                         ("m365_health", "Health", p.render_health, "")):
            sort = {"m365_tenants": "m365_tenant_count", "m365_users": "m365_licensed_users",
                    "m365_health": "m365_health_rank"}[name]
            list_columns.register(ListColumn("clients", name, label, render, sort=(sort,), css=css,
                                             td_css="nowrap", before="activity"))
        list_filters.register(ListFilter("clients", "health", "Health", p.HEALTH_FILTER_CHOICES, p.filter_health))
        client_delete_gates.register(DeleteGate("m365_connected", p.connected_tenants_gate))
        # Seed 001's customer list columns (and the overview's figures): one subquery each.
        for name, expression in (("m365_tenant_count", health.client_tenant_count),
                                 ("m365_licensed_users", health.client_licensed_users),
                                 ("m365_health_rank", health.client_health_rank)):
            related_counts.register(RelatedCount("clients.Client", name, expression, on_list=True))
        settings_pages.register(SettingsPage(
            "cipp", "CIPP", "settings:cipp", urls=_cipp_urls,
            description="Sync Microsoft 365 users and Intune devices through your CIPP instance."))
        post_save.connect(_msp_saved, sender=Msp, dispatch_uid="m365-schedule-interval")


def _msp_saved(sender, instance, created, raw=False, **kwargs):
    """Keep the MSP's beat interval in step with Msp.m365_sync_interval_minutes."""
    if raw or created:
        return
    from .services import schedule_ensure

    schedule_ensure(msp=instance, create=False)


def _cipp_urls():
    from .cipp_views import urls

    return urls()
