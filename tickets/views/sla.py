"""SLA pages: Settings → SLA (the MSP default policy, the priority matrix, warnings)
and the client page's SLA tab (the client's own policy: set, change, remove)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from clients.business_hours import business_hours_for
from clients.selectors import client_get
from clients.views.tabs import ClientTabView
from opsmerge.views.generic import ObjectEditView

from ..models import SlaPolicy
from ..sla.forms import SlaPolicyForm, SlaSettingsForm
from ..sla.policies import sla_client_policy, sla_default_policy
from ..sla.services import POLICY_FIELDS, sla_policy_remove


class SlaSettingsView(ObjectEditView):
    form_class = SlaSettingsForm
    template_name = "tickets/sla_settings.html"
    permission = "settings"
    heading = "SLA"
    success_message = "SLA settings saved."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "policy": sla_default_policy(msp=self.msp)}

    def get_success_url(self, obj):
        return reverse("settings:sla")

    def get_cancel_url(self):
        return reverse("settings:index")


def client_policy_form_policy(*, msp, client) -> tuple[SlaPolicy, bool]:
    """(the client's own policy, or an unsaved copy of the default to start one from;
    whether the client has its own)."""
    own = sla_client_policy(msp=msp, client=client)
    if own is not None:
        return own, True
    default = sla_default_policy(msp=msp)
    return SlaPolicy(msp=msp, client=client, **{f: getattr(default, f) for f in POLICY_FIELDS}), False


class ClientSlaTab(ClientTabView):
    template_name = "tickets/client_sla_tab.html"
    active_tab = "sla"

    def tab_context(self, client, form=None):
        policy, own = client_policy_form_policy(msp=self.msp, client=client)
        hours, holidays = business_hours_for(msp=self.msp, client=client)
        return {"sla_form": form or SlaPolicyForm(msp=self.msp, user=self.request.user, policy=policy),
                "has_own_policy": own, "hours": hours, "holidays": holidays}


class ClientSlaPostView(ObjectEditView):
    """POST of the SLA tab: save the client's own policy, or (`remove`) drop it.
    Refused while the client is archived (seed 003), at the form."""

    http_method_names = ["post"]
    form_class = SlaPolicyForm
    permission = "client_edit"
    success_message = "SLA policy of {object.client} saved."

    def get_object(self):
        return client_get(msp=self.msp, pk=self.kwargs["client_pk"])

    def get_form_kwargs(self):
        policy, _own = client_policy_form_policy(msp=self.msp, client=self.object)
        return {**super().get_form_kwargs(), "policy": policy}

    def post(self, request, *args, **kwargs):
        if "remove" not in request.POST:
            return super().post(request, *args, **kwargs)
        self.object = self.get_object()
        try:
            sla_policy_remove(msp=self.msp, client=self.object, actor=request.user)
            messages.success(request, "The client follows the default SLA policy again.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("clients:sla", kwargs={"pk": self.object.pk}))

    def get_success_url(self, obj):
        return reverse("clients:sla", kwargs={"pk": self.object.pk})

    def render_form(self, form, status=200):
        tab = ClientSlaTab(request=self.request, kwargs={"pk": self.object.pk})
        context = {"object": self.object, "client": self.object, "view": tab, "active_tab": tab.active_tab,
                   **tab.tab_context(self.object, form=form)}
        return render(self.request, tab.template_name, context, status=400)
