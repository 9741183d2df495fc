"""Pages of the Microsoft 365 integration: the index (all tenants, import), the
client's Microsoft 365 tab (tenants, consent health, last run, live progress,
history), the admin-consent round trip, and the tenant's buttons. Thin: every
write is a service call."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.permissions import Op
from clients.models import Client
from clients.selectors import client_get
from opsmerge.views.generic import MspView

from . import services
from .errors import M365Error
from .models import M365Tenant, SyncRun
from .selectors import runs_by_tenant, tenant_get, tenant_list


def _tab_url(tenant_or_client) -> str:
    client_pk = tenant_or_client.pk if isinstance(tenant_or_client, Client) else tenant_or_client.client_id
    if client_pk is None:
        return reverse("m365:tenant_import", kwargs={"tenant_pk": tenant_or_client.pk})
    return reverse("m365:client_tenants", kwargs={"client_pk": client_pk})


def _configured() -> bool:
    return bool(settings.M365_CLIENT_ID and settings.M365_CLIENT_SECRET)


def _every(minutes: int) -> str:
    """"every day", "every 6 hours", "every 90 minutes" for the schedule interval."""
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {minutes} minutes"


def _status_partial(request, msp, tenant):
    """The live status of a tenant (htmx), with its history swapped in out-of-band."""
    runs = runs_by_tenant(msp=msp, tenants=[tenant], limit=10)[tenant.pk]
    return render(request, "m365/_tenant_status.html",
                  {"tenant": tenant, "run": runs[0] if runs else None, "runs": runs, "oob_history": True})


class IndexView(MspView):
    """Every tenant of the MSP, tenants waiting for a client, and "Import"."""

    def get(self, request):
        tenants = list(tenant_list(msp=self.msp))
        latest = runs_by_tenant(msp=self.msp, tenants=tenants, limit=1)
        rows = [{"tenant": t, "run": (latest.get(t.pk) or [None])[0]} for t in tenants]
        return render(request, "m365/index.html", {
            "rows": [r for r in rows if r["tenant"].client_id],
            "waiting": [r["tenant"] for r in rows if not r["tenant"].client_id],
            "configured": _configured(),
            "interval": _every(self.msp.m365_sync_interval_minutes or 24 * 60),
        })


class ClientTenantsView(MspView):
    """The client's Microsoft 365 tab."""

    def get(self, request, client_pk):
        client = client_get(msp=self.msp, pk=client_pk)
        tenants = list(tenant_list(msp=self.msp, client=client))
        history = runs_by_tenant(msp=self.msp, tenants=tenants, limit=10)
        cards = [{"tenant": t, "runs": history[t.pk], "run": (history[t.pk] or [None])[0]} for t in tenants]
        return render(request, "m365/client_tenants.html", {
            "client": client, "active_tab": "m365", "cards": cards, "configured": _configured(),
        })


class ConnectView(MspView):
    """POST: send the admin to Microsoft's admin-consent page for this client."""

    http_method_names = ["post"]
    write_permission = Op.M365_CONNECT

    def post(self, request, client_pk):
        client = client_get(msp=self.msp, pk=client_pk)
        try:
            url = services.consent_url(session=request.session, msp=self.msp, client=client)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(_tab_url(client))
        return HttpResponseRedirect(url)


class ImportStartView(MspView):
    """POST: admin consent for a tenant that becomes a new client (or is attached)."""

    http_method_names = ["post"]
    write_permission = Op.M365_CONNECT

    def post(self, request):
        return HttpResponseRedirect(services.consent_url(session=request.session, msp=self.msp, client=None))


class CallbackView(MspView):
    """Microsoft redirects the admin here. The `state` must be one this session
    issued (else 400); the returned tenant id is never trusted until an app-only
    token for it reads /organization and names the same tenant."""

    permission = Op.M365_CONNECT

    def get(self, request):
        entry = services.consent_state_pop(session=request.session, msp=self.msp, state=request.GET.get("state", ""))
        if entry is None:
            return HttpResponseBadRequest(render_to_string("m365/bad_state.html", request=request))
        client = client_get(msp=self.msp, pk=entry["client"]) if entry["client"] else None
        back = _tab_url(client) if client else reverse("m365:index")
        if request.GET.get("error") or request.GET.get("admin_consent") != "True":
            code = request.GET.get("error") or "consent_not_granted"
            messages.error(request, f"Consent not granted ({code[:60]}): nothing was connected. A Global "
                                    "Administrator of the tenant must accept on Microsoft's page; try Connect again.")
            return HttpResponseRedirect(back)
        try:
            tenant = services.tenant_connect(msp=self.msp, client=client, tenant_id=request.GET.get("tenant", ""),
                                             actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        except M365Error as exc:
            messages.error(request, f"{exc.friendly} ({exc.code})")
            return HttpResponseRedirect(back)
        messages.success(request, f"Connected {tenant.display_name}.")
        if tenant.client_id:
            services.sync_enqueue(msp=self.msp, tenant=tenant, trigger=SyncRun.Trigger.CONNECT, actor=request.user)
        return HttpResponseRedirect(_tab_url(tenant))


class TenantImportView(MspView):
    """A connected tenant without a client: create a client from it (organisation
    name, verified domains), or attach it to a client suggested by domain match."""

    write_permission = Op.M365_CONNECT

    def _context(self, tenant, **extra):
        domains = services.tenant_domain_names(tenant)
        # A domain already on another client is not added to the new one.
        taken = services.tenant_domains_taken(msp=self.msp, tenant=tenant)
        return {
            "tenant": tenant,
            "suggestions": services.tenant_client_suggestions(msp=self.msp, tenant=tenant),
            "clients": Client.objects.filter(msp=self.msp).not_archived().order_by("name").only("pk", "name"),
            "domains": [{"name": d, "taken_by": taken.get(d)} for d in domains],
            **extra,
        }

    def get(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        if tenant.client_id:
            return HttpResponseRedirect(_tab_url(tenant))
        return render(request, "m365/tenant_import.html", self._context(tenant))

    def post(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        try:
            if request.POST.get("action") == "attach":
                pk = request.POST.get("client_other") or request.POST.get("client") or ""
                if not pk.isdigit():
                    raise ValidationError({"client": "Choose a client."})
                client = client_get(msp=self.msp, pk=int(pk))
                services.tenant_attach_client(msp=self.msp, tenant=tenant, client=client, actor=request.user)
            else:
                client = services.tenant_create_client(msp=self.msp, tenant=tenant, actor=request.user,
                                                       name=request.POST.get("name", "").strip())
        except ValidationError as exc:
            return render(request, "m365/tenant_import.html", self._context(tenant, errors=exc.messages), status=400)
        tenant.refresh_from_db()
        services.sync_enqueue(msp=self.msp, tenant=tenant, trigger=SyncRun.Trigger.CONNECT, actor=request.user)
        messages.success(request, f"{tenant.display_name} now belongs to {client.name}; the first sync is running.")
        return HttpResponseRedirect(_tab_url(client))


class TenantStatusView(MspView):
    """htmx partial: consent health, last run, live progress (polls while running)."""

    def get(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        return _status_partial(request, self.msp, tenant)


class TenantSyncView(MspView):
    """POST "Sync with M365" (full=1 for a full resync)."""

    http_method_names = ["post"]
    write_permission = Op.M365_SYNC

    def post(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        try:
            services.sync_enqueue(msp=self.msp, tenant=tenant, full=request.POST.get("full") == "1", actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(_tab_url(tenant))
        if request.htmx:
            return _status_partial(request, self.msp, tenant)
        messages.success(request, f"Sync of {tenant.display_name} queued.")
        return HttpResponseRedirect(_tab_url(tenant))


class TenantSettingsView(MspView):
    """POST the per-tenant toggles (what to sync, who to skip)."""

    http_method_names = ["post"]
    write_permission = Op.M365_CONNECT

    def post(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        services.tenant_update_settings(msp=self.msp, tenant=tenant, actor=request.user,
                                        **{f: request.POST.get(f) == "on" for f in services.SETTINGS_FIELDS})
        messages.success(request, f"Sync settings of {tenant.display_name} saved.")
        return HttpResponseRedirect(_tab_url(tenant))


class TenantDisconnectView(MspView):
    """POST: stop syncing this tenant; synced contacts and assets stay."""

    http_method_names = ["post"]
    write_permission = Op.M365_CONNECT

    def post(self, request, tenant_pk):
        tenant = tenant_get(msp=self.msp, pk=tenant_pk)
        if tenant.consent_state != M365Tenant.ConsentState.DISCONNECTED:
            services.tenant_disconnect(msp=self.msp, tenant=tenant, actor=request.user)
            messages.success(request, f"Disconnected {tenant.display_name}. Synced contacts and assets were kept.")
        return HttpResponseRedirect(_tab_url(tenant))
