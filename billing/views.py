"""Billing on the client page: the Contracts & invoices tab, and the clients list's
"Change contract template" bulk action."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.permissions import Op
from clients.views.tabs import ClientTabView
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.bulk_actions import selected_ids
from opsmerge.views.generic import BulkAction, MspView

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


class InvoiceSendView(MspView):
    """POST: email the invoice to the client's billing contacts (else the primary)."""

    permission = Op.CLIENT_EDIT
    http_method_names = ["post"]

    def post(self, request, invoice_pk: int):
        from .services import invoice_send

        invoice = msp_get_or_404(Invoice.objects.select_related("client"), msp=self.msp, pk=invoice_pk)
        target = (reverse("clients:billing", kwargs={"pk": invoice.client_id}) if invoice.client_id
                  else reverse("clients:list"))
        try:
            delivery = invoice_send(msp=self.msp, invoice=invoice, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(target)
        messages.success(request, f"Invoice {invoice.number} is being emailed to {', '.join(delivery.recipients)}.")
        return HttpResponseRedirect(target)
