from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from opsmerge.registry import (
            BulkActionEntry,
            ClientTab,
            DeleteGate,
            Panel,
            RelatedCount,
            bulk_actions,
            client_delete_gates,
            client_tabs,
            panels,
            related_counts,
        )

        from . import selectors, views

        client_tabs.register(ClientTab("billing", "Contracts & invoices", "clients:billing",
                                       view="billing.views.ClientBillingTab", route="billing"), before="documents")
        related_counts.register(RelatedCount("clients.Client", "contract_status", selectors.contract_status_subquery,
                                             on_list=True))
        panels.register(Panel("clients.Client", "contract", "billing/_client_stat.html", selectors.contract_panel,
                              slot="stats"))
        bulk_actions.register(BulkActionEntry("clients", "contract_template", views.contract_template_action,
                                              before="export"))
        client_delete_gates.register(DeleteGate("outstanding_invoices", selectors.outstanding_invoices_gate))
