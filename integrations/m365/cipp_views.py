"""Settings pages of CIPP as a source: the connection (save, "Test connection") and
CIPP's tenants mapped to clients. Thin: every write is a service call in cipp.py;
CIPP's refusals are shown at the form field, never as a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import path, reverse

from clients.models import Client
from clients.selectors import client_get
from opsmerge.views.generic import MspView

from . import cipp


class CippConnectionForm(forms.Form):
    base_url = forms.URLField(label="CIPP URL", max_length=255, assume_scheme="https",
                              help_text="https://cipp.example.com")
    tenant_id = forms.UUIDField(label="Entra tenant id", help_text="Your own tenant, where CIPP's API app lives.")
    client_id = forms.UUIDField(label="Client id", help_text="Application id of the CIPP-API client.")
    api_client_id = forms.UUIDField(label="API application id", required=False,
                                    help_text="The CIPP-API app the token is for; blank = the client id.")
    client_secret = forms.CharField(label="Client secret", required=False, max_length=255,
                                    widget=forms.PasswordInput(render_value=False),
                                    help_text="Stored, never shown again. Leave blank to keep the stored one.")


class CippSettingsView(MspView):
    """GET the connection form; POST saves it, and with action=test also calls ListTenants."""

    permission = "settings"
    template_name = "m365/cipp_settings.html"

    def _render(self, request, form, connection, status=200):
        return render(request, self.template_name, {"form": form, "connection": connection}, status=status)

    def get(self, request):
        connection = cipp.connection_get(msp=self.msp)
        initial = {f: getattr(connection, f) for f in cipp.CONNECTION_FIELDS} if connection else {}
        return self._render(request, CippConnectionForm(initial=initial), connection)

    def post(self, request):
        form = CippConnectionForm(data=request.POST)
        connection = cipp.connection_get(msp=self.msp)
        if not form.is_valid():
            return self._render(request, form, connection, status=400)
        try:
            connection = cipp.connection_save(msp=self.msp, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._render(request, form, connection, status=400)
        if request.POST.get("action") == "test":
            try:
                tenants = cipp.connection_test(msp=self.msp, connection=connection)
            except ValidationError as exc:
                form.add_error(None, exc)
                return self._render(request, form, connection, status=400)
            messages.success(request, f"CIPP answered: {len(tenants)} tenant{pluralize(len(tenants))}.")
        else:
            messages.success(request, "CIPP connection saved.")
        return HttpResponseRedirect(reverse("settings:cipp"))


class CippTenantsView(MspView):
    """CIPP's tenants (the last ListTenants answer, stored: a GET never waits on
    CIPP), each with the client its domains match. POST action=refresh asks CIPP
    again; POST tenant_id + client asks again and links that tenant to the client
    (an M365Tenant with source=cipp), then queues its first sync."""

    permission = "settings"
    template_name = "m365/cipp_tenants.html"

    def _render(self, request, connection, *, error="", status=200):
        return render(request, self.template_name, {
            "connection": connection, "error": error,
            "rows": cipp.cipp_tenant_rows(msp=self.msp, tenants=connection.tenants if connection else []),
            "clients": Client.objects.filter(msp=self.msp).not_archived().order_by("name").only("pk", "name"),
        }, status=status)

    def get(self, request):
        return self._render(request, cipp.connection_get(msp=self.msp))

    def post(self, request):
        connection = cipp.connection_get(msp=self.msp)
        if connection is None:
            return HttpResponseRedirect(reverse("settings:cipp"))
        try:
            if request.POST.get("action") == "refresh":
                tenants = cipp.connection_test(msp=self.msp, connection=connection)
                messages.success(request, f"CIPP answered: {len(tenants)} tenant{pluralize(len(tenants))}.")
                return HttpResponseRedirect(reverse("settings:cipp_tenants"))
            pk = request.POST.get("client", "")
            if not pk.isdigit():
                raise ValidationError({"client": "Choose a client."})
            client = client_get(msp=self.msp, pk=int(pk))
            tenant = cipp.tenant_link_by_id(msp=self.msp, connection=connection, actor=request.user,
                                            tenant_id=request.POST.get("tenant_id", ""), client=client)
        except ValidationError as exc:
            return self._render(request, connection, error=" ".join(exc.messages), status=400)
        messages.success(request, f"{tenant.display_name} now syncs from CIPP into {client.name}.")
        return HttpResponseRedirect(reverse("settings:cipp_tenants"))


def urls() -> list:
    return [
        path("cipp/", CippSettingsView.as_view(), name="cipp"),
        path("cipp/tenants/", CippTenantsView.as_view(), name="cipp_tenants"),
    ]
