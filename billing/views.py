"""Billing on the client page: the Contracts & invoices tab, and the clients list's
"Change contract template" bulk action."""

from __future__ import annotations

from accounts.permissions import Op
from clients.views.tabs import ClientTabView
from opsmerge.views.bulk_actions import selected_ids
from opsmerge.views.generic import BulkAction

from .forms import ContractTemplateForm
from .models import Contract, Invoice
from .services import clients_change_contract_template


class ClientBillingTab(ClientTabView):
    template_name = "clients/tab_billing.html"
    active_tab = "billing"

    def tab_context(self, client):
        return {
            "contracts": Contract.objects.filter(msp=self.msp, client=client).select_related("template"),
            "invoices": Invoice.objects.filter(msp=self.msp, client=client)[:200],
        }


def _change_contract_template(*, request, queryset, data):
    n = clients_change_contract_template(msp=request.msp, client_ids=selected_ids(queryset), template=data["template"],
                                         actor=request.user)
    return f"{n} client{'s' if n != 1 else ''} now on contract template {data['template']}."


def contract_template_action() -> BulkAction:
    return BulkAction("contract_template", "Change contract template", Op.BULK_EDIT, _change_contract_template,
                      ContractTemplateForm)
