"""CIPP (CIPP-API, the open-source CIPP backend) as a second source of Microsoft 365
data: the MSP connects its CIPP instance once, links CIPP's tenants to clients, and
the sync of such a tenant reads users and Intune devices from CIPP instead of Graph,
through the same mapping and writes (sync.TenantSync with a CippSource).

CIPP is called at <base>/api/<Endpoint> with a bearer token from Entra (client
credentials against the MSP's tenant, scope api://<CIPP-API app>/.default). It
answers whole arrays (no paging, no delta); 401 bad token, 403 the API client lacks
the role, 429 throttled with Retry-After.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from clients.services import client_assert_open
from opsmerge.audit import audit_record

from . import conf, graph
from .errors import Kind, M365Error, from_token_result
from .models import CippConnection, M365Tenant, SyncRun
from .services import schedule_ensure, sync_enqueue, tenant_client_suggestions

log = logging.getLogger("opsmerge.m365")

CIPP_PERMISSION = "CIPP API role (read)"
CONNECTION_FIELDS = ("base_url", "tenant_id", "client_id", "api_client_id")


class CippClient(graph.RetryingClient):
    """Calls to one CIPP instance, with the Graph client's retry policy; counts
    requests (and "pages": one per listing)."""

    network_code = "cipp_network_error"

    def __init__(self, connection: CippConnection):
        super().__init__()
        self.connection = connection
        self._token = ""

    def token(self) -> str:
        if self._token:
            return self._token
        conn = self.connection
        url = f"{settings.M365_AUTHORITY_HOST}/{conn.tenant_id}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": str(conn.client_id),
                "client_secret": conn.client_secret, "scope": conn.scope}
        tries = conf.max_tries()
        for attempt in range(1, tries + 1):
            try:
                response = graph.http_session().post(url, data=form, timeout=conf.http_timeout())
                result = response.json()
            except (requests.RequestException, ValueError) as exc:
                result = {"error": "temporarily_unavailable", "exception": type(exc).__name__}
            if "access_token" in result:
                self._token = result["access_token"]
                return self._token
            error = from_token_result(result)
            if error.kind == Kind.TRANSIENT and attempt < tries:
                graph.sleep(graph.backoff(attempt))
                continue
            raise error
        raise AssertionError("unreachable")

    def drop_token(self) -> None:
        self._token = ""

    def error_code(self, response) -> str:
        return f"cipp_HTTP{response.status_code}"

    def permission(self, url: str) -> str:
        return CIPP_PERMISSION

    def call(self, endpoint: str, params: dict | None = None):
        return self.get(f"{self.connection.base_url.rstrip('/')}/api/{endpoint}", params)

    def listing(self, endpoint: str, params: dict | None = None) -> list[dict]:
        body = self.call(endpoint, params)
        self.pages += 1
        if isinstance(body, dict) and isinstance(body.get("Results"), list):  # some CIPP versions wrap
            body = body["Results"]
        if not isinstance(body, list):
            raise M365Error(Kind.UNEXPECTED, "cipp_not_a_list")
        return [o for o in body if isinstance(o, dict) and o.get("id" if endpoint != "ListTenants" else "customerId")]

    def tenants(self) -> list[dict]:
        return self.listing("ListTenants")


class CippSource:
    """The sync's source for a CIPP tenant: whole listings, no delta, no Entra
    device list (ListDevices is Intune's managed devices), no tenant health."""

    name = M365Tenant.Source.CIPP
    delta = False
    entra_devices = False

    def __init__(self, connection: CippConnection, tenant: M365Tenant):
        self.client = CippClient(connection)
        self.filter = tenant.default_domain or str(tenant.tenant_id)

    @property
    def requests(self) -> int:
        return self.client.requests

    @property
    def pages(self) -> int:
        return self.client.pages

    def users(self) -> Iterator[list[dict]]:
        yield self.client.listing("ListUsers", {"TenantFilter": self.filter})

    def managed_devices(self, since=None) -> Iterator[list[dict]]:
        yield self.client.listing("ListDevices", {"TenantFilter": self.filter})


def source_for(*, msp, tenant: M365Tenant) -> CippSource:
    connection = CippConnection.objects.filter(msp=msp).first()
    if connection is None:
        raise M365Error(Kind.CREDENTIALS, "cipp_not_connected")
    return CippSource(connection, tenant)


# -- services ---------------------------------------------------------------------------------
def connection_get(*, msp) -> CippConnection | None:
    return CippConnection.objects.filter(msp=msp).first()


@transaction.atomic
def connection_save(*, msp, actor=None, base_url: str, tenant_id, client_id, api_client_id=None,
                    client_secret: str = "") -> CippConnection:
    """Create or update the MSP's CIPP connection. A blank secret keeps the stored one."""
    connection = CippConnection.objects.select_for_update().filter(msp=msp).first() or CippConnection(msp=msp)
    if not client_secret and not connection.client_secret:
        raise ValidationError({"client_secret": "Enter the client secret."})
    connection.base_url = base_url.rstrip("/")
    connection.tenant_id, connection.client_id, connection.api_client_id = tenant_id, client_id, api_client_id
    if client_secret:
        connection.client_secret = client_secret
    connection.status, connection.status_message = CippConnection.Status.UNTESTED, ""
    connection.full_clean()
    connection.save()
    audit_record(msp=msp, action="m365.cipp_connection", obj=connection, actor=actor,
                 changes={f: str(getattr(connection, f) or "") for f in CONNECTION_FIELDS}
                 | {"secret_changed": bool(client_secret)})
    return connection


def field_error(exc: M365Error) -> ValidationError:
    """A CIPP/Entra refusal as a form error on the field most likely wrong."""
    if exc.kind == Kind.TENANT_NOT_FOUND:
        return ValidationError({"tenant_id": "Entra does not know this tenant id."})
    if exc.kind in (Kind.CREDENTIALS, Kind.RECONNECT):
        return ValidationError({"client_secret": f"Entra refused the client id or secret ({exc.code})."})
    if exc.status == 401 or exc.kind == Kind.TOKEN:
        return ValidationError({"client_id": "CIPP refused the token (401): check the client id and the API "
                                             "application id."})
    if exc.status == 403:
        return ValidationError({"client_id": "CIPP answered 403: give this API client a role in CIPP "
                                             "(CIPP-API settings)."})
    if exc.code in ("cipp_network_error", "cipp_not_json", "cipp_not_a_list") or exc.status == 404:
        return ValidationError({"base_url": f"No CIPP API answered at this URL ({exc.code})."})
    return ValidationError({"base_url": f"CIPP did not answer ({exc.code}): try again later."})


def connection_test(*, msp, connection: CippConnection) -> list[dict]:
    """Call ListTenants; store the outcome and the tenants (the tenants page lists
    them without calling CIPP). Returns the tenants, or raises ValidationError keyed
    by the form field to fix."""
    try:
        tenants = CippClient(connection).tenants()
    except M365Error as exc:
        error = field_error(exc)
        _record_check(msp, connection, CippConnection.Status.FAILED, " ".join(error.messages))
        raise error from None
    _record_check(msp, connection, CippConnection.Status.OK, f"{len(tenants)} tenant{pluralize(len(tenants))}", tenants=tenants)
    return tenants


def _record_check(msp, connection, status, message, tenants=None) -> None:
    connection.status, connection.status_message, connection.last_checked_at = status, message[:255], timezone.now()
    values = {"status": status, "status_message": connection.status_message,
              "last_checked_at": connection.last_checked_at}
    if tenants is not None:
        connection.tenants = values["tenants"] = [
            {k: row.get(k) for k in ("customerId", "defaultDomainName", "initialDomainName", "displayName")}
            for row in tenants]
    CippConnection.objects.filter(msp=msp, pk=connection.pk).update(**values)


def _domains(row: dict) -> list[dict]:
    names = []
    for key in ("defaultDomainName", "initialDomainName"):
        name = str(row.get(key) or "").lower()
        if name and name not in names:
            names.append(name)
    return [{"name": n, "isDefault": i == 0, "isInitial": n.endswith(".onmicrosoft.com")} for i, n in enumerate(names)]


def cipp_tenant_rows(*, msp, tenants: list[dict]) -> list[dict]:
    """CIPP's tenants with the client their domains match (as the Graph import
    suggests one) and the M365Tenant already linked, if any."""
    known = {str(t.tenant_id): t for t in M365Tenant.objects.filter(msp=msp).select_related("client")}
    rows = []
    for row in tenants:
        try:
            tid = str(uuid.UUID(str(row.get("customerId"))))
        except ValueError:
            continue
        probe = M365Tenant(msp=msp, verified_domains=_domains(row))
        rows.append({"tenant_id": tid, "name": str(row.get("displayName") or ""),
                     "domain": str(row.get("defaultDomainName") or ""), "linked": known.get(tid),
                     "suggestions": tenant_client_suggestions(msp=msp, tenant=probe)})
    return rows


@transaction.atomic
def tenant_link(*, msp, client, row: dict, actor=None) -> M365Tenant:
    """Link a CIPP tenant (a ListTenants row) to a client: an M365Tenant with
    source=cipp, created or reused (a Graph tenant of the same client switches)."""
    if client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    client_assert_open(client)
    tid = uuid.UUID(str(row["customerId"]))
    tenant = M365Tenant.objects.select_for_update().filter(msp=msp, tenant_id=tid).first()
    if tenant is not None and tenant.client_id not in (None, client.pk):
        raise ValidationError({"client": f"This tenant already belongs to {tenant.client}."})
    tenant = tenant or M365Tenant(msp=msp, tenant_id=tid)
    tenant.client = client
    tenant.source = M365Tenant.Source.CIPP
    tenant.display_name = str(row.get("displayName") or "")[:255]
    tenant.verified_domains = _domains(row)
    tenant.default_domain = str(row.get("defaultDomainName") or "").lower()[:253]
    tenant.consent_state = M365Tenant.ConsentState.CONNECTED
    tenant.health_message = ""
    tenant.users_delta_link = tenant.devices_delta_link = ""
    tenant.connected_at = timezone.now()
    tenant.connected_by = actor if getattr(actor, "pk", None) else None
    tenant.save()
    audit_record(msp=msp, action="m365.cipp_link", obj=tenant, actor=actor, client=client,
                 changes={"display_name": tenant.display_name, "domain": tenant.default_domain})
    schedule_ensure(msp=msp)
    return tenant


def tenant_link_by_id(*, msp, connection: CippConnection, tenant_id: str, client, actor=None) -> M365Tenant:
    """The tenants page's "Link": ask CIPP again (it must still manage the tenant),
    link the tenant to `client` and queue its first sync."""
    tenants = connection_test(msp=msp, connection=connection)
    row = next((r for r in tenants if str(r.get("customerId")) == tenant_id), None)
    if row is None:
        raise ValidationError({"tenant_id": "CIPP does not manage this tenant (any more)."})
    tenant = tenant_link(msp=msp, client=client, row=row, actor=actor)
    sync_enqueue(msp=msp, tenant=tenant, trigger=SyncRun.Trigger.CONNECT, actor=actor)
    return tenant
