from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self):
        from clients.signals import client_calendar_changed
        from opsmerge.registry import (
            ClientTab,
            MergeStep,
            NavItem,
            Panel,
            RelatedCount,
            SettingsPage,
            client_merge_steps,
            client_tabs,
            nav,
            panels,
            related_counts,
            settings_pages,
        )

        from . import panels as p
        from .sla.merge import merge_recompute, merge_sla_policies
        from .sla.receivers import calendar_changed

        client_calendar_changed.connect(calendar_changed, dispatch_uid="tickets.sla.calendar_changed")

        nav.register(NavItem("Tickets", "tickets:list", "ticket", namespaces=("tickets",)), before="activity")
        client_tabs.register(ClientTab("tickets", "Tickets", "clients:tickets",
                                       view="tickets.views.client_tab.ClientTicketsTab", route="tickets"),
                             before="documents")
        client_tabs.register(ClientTab("sla", "SLA", "clients:sla", view="tickets.views.sla.ClientSlaTab", route="sla"),
                             before="documents")

        def sla_urls():
            from django.urls import path

            from .views.sla import SlaSettingsView

            return [path("sla/", SlaSettingsView.as_view(), name="sla")]

        client_merge_steps.register(MergeStep("sla_policy", "SLA policies", run=merge_sla_policies,
                                              after=merge_recompute), before="move")
        settings_pages.register(SettingsPage(
            "sla", "SLA", "settings:sla", urls=sla_urls,
            description="Response and resolution targets per priority, the priority matrix and breach warnings."))
        related_counts.register(RelatedCount("clients.Client", "open_ticket_count", p.open_tickets_count, on_list=True))
        related_counts.register(RelatedCount("contacts.Contact", "ticket_count", p.contact_ticket_count, on_list=True))
        related_counts.register(RelatedCount("sites.Site", "open_ticket_count", p.site_open_ticket_count,
                                             on_list=True))
        panels.register(Panel("clients.Client", "open_tickets", "tickets/_client_stat.html", slot="stats"))
        panels.register(Panel("contacts.Contact", "tickets", "tickets/_tickets_card.html", p.contact_tickets),
                        before="contacts.Contact.assets")
        panels.register(Panel("sites.Site", "tickets", "tickets/_tickets_card.html", p.site_tickets))
        panels.register(Panel("assets.Asset", "tickets", "tickets/_tickets_card.html", p.asset_tickets))
