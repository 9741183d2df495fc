"""Writes of the Microsoft 365 integration: connect (admin consent + proof through
/organization), disconnect, per-tenant settings, import a tenant as a new client or
attach it to an existing one, queue a sync, keep each MSP's beat schedule.
Every write is audited; views, tasks and commands all come through here."""

from __future__ import annotations

import secrets
import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clients.models import Client, ClientDomain
from clients.services import client_assert_open, client_create
from opsmerge.audit import audit_record, snapshot

from . import conf
from .errors import Kind, M365Error
from .graph import GraphClient, backoff, forget_app, sleep
from .models import M365Tenant, SyncRun

SESSION_KEY = "m365_consent"
STATE_MAX_AGE = 30 * 60
SETTINGS_FIELDS = ("sync_users", "sync_devices", "sync_intune", "include_guests", "include_disabled",
                   "include_service_accounts")


# -- admin consent ---------------------------------------------------------------------
def consent_url(*, session, msp, client: Client | None) -> str:
    """The admin-consent URL; its `state` is a random nonce remembered in the session
    together with the MSP and the client (None = import a new client)."""
    if client is not None:
        client_assert_open(client)
    state = secrets.token_urlsafe(32)
    pending = {k: v for k, v in session.get(SESSION_KEY, {}).items() if v["at"] > time.time() - STATE_MAX_AGE}
    pending[state] = {"msp": msp.pk, "client": client.pk if client else None, "at": time.time()}
    session[SESSION_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1]["at"])[-10:])
    query = urlencode({"client_id": settings.M365_CLIENT_ID, "scope": conf.graph_scope(),
                       "redirect_uri": settings.M365_REDIRECT_URL, "state": state})
    return f"{settings.M365_AUTHORITY_HOST}/organizations/v2.0/adminconsent?{query}"


def consent_state_pop(*, session, msp, state: str) -> dict | None:
    """The pending consent for `state` (single use), or None when unknown, expired or
    opened in another MSP's session: the caller answers 400."""
    pending = session.get(SESSION_KEY, {})
    entry = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    if entry is None or entry["msp"] != msp.pk or entry["at"] < time.time() - STATE_MAX_AGE:
        return None
    return entry


def _verified_organization(tenant_id: str, *, patience: float) -> dict:
    """Prove the tenant with an app-only token: /organization must answer for it.
    Consent takes a moment to replicate, so "not consented" is retried for a while."""
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        attempt += 1
        try:
            org = GraphClient(tenant_id).organization()
            break
        except M365Error as exc:
            if exc.kind != Kind.RECONNECT or time.monotonic() + backoff(attempt) > deadline:
                raise
            forget_app(tenant_id)
            sleep(backoff(attempt))
    if str(org.get("id", "")).lower() != str(tenant_id).lower():
        raise M365Error(Kind.NOT_VERIFIED, "tenant_mismatch")
    return org


def _domains(org: dict) -> tuple[list[dict], str]:
    domains = [{"name": str(d.get("name", "")).lower(), "isDefault": bool(d.get("isDefault")),
                "isInitial": bool(d.get("isInitial"))} for d in org.get("verifiedDomains") or [] if d.get("name")]
    default = next((d["name"] for d in domains if d["isDefault"]), domains[0]["name"] if domains else "")
    return domains, default


def _check_owner(existing: M365Tenant | None, client: Client | None) -> None:
    """Within an MSP a tenant belongs to one client (seed 001)."""
    if (existing is not None and client is not None and existing.client_id not in (None, client.pk)
            and existing.consent_state != M365Tenant.ConsentState.DISCONNECTED):
        raise ValidationError({"tenant": f"This tenant is already connected to {existing.client}."})


def tenant_connect(*, msp, client: Client | None, tenant_id: str, actor=None,
                   patience: float | None = None) -> M365Tenant:
    """Store a consented tenant after proving it through /organization. `client`
    None keeps it waiting for import (new client or attach). Raises ValidationError
    (field "tenant") or M365Error. The Microsoft round trip happens before any lock."""
    try:
        tenant_uuid = uuid.UUID(str(tenant_id))
    except ValueError:
        raise ValidationError({"tenant": "Not a tenant id (a GUID)."}) from None
    if client is not None:
        client_assert_open(client)
    _check_owner(M365Tenant.objects.filter(msp=msp, tenant_id=tenant_uuid).first(), client)
    org = _verified_organization(str(tenant_uuid), patience=conf.consent_retry_seconds() if patience is None
                                 else patience)
    domains, default = _domains(org)
    with transaction.atomic():
        existing = M365Tenant.objects.select_for_update().filter(msp=msp, tenant_id=tenant_uuid).first()
        _check_owner(existing, client)
        tenant = existing or M365Tenant(msp=msp, tenant_id=tenant_uuid)
        before = snapshot(tenant) if existing else {}
        if client is not None:
            tenant.client = client
        tenant.display_name = str(org.get("displayName") or "")[:255]
        tenant.verified_domains = domains
        tenant.default_domain = default
        tenant.consent_state = M365Tenant.ConsentState.CONNECTED
        tenant.source = M365Tenant.Source.GRAPH  # consent given: read through Graph (again)
        tenant.health_message = ""
        tenant.connected_at = timezone.now()
        tenant.connected_by = actor if getattr(actor, "pk", None) else None
        tenant.save()
        audit_record(msp=msp, action="m365.connect", obj=tenant, actor=actor, client=tenant.client,
                     changes={"before": before, "display_name": tenant.display_name,
                              "domains": [d["name"] for d in domains]})
        schedule_ensure(msp=msp)
    return tenant


@transaction.atomic
def tenant_disconnect(*, msp, tenant: M365Tenant, actor=None) -> M365Tenant:
    """Stop syncing; contacts and assets synced so far stay (and stay linked, so a
    reconnect picks them up again instead of duplicating)."""
    tenant.consent_state = M365Tenant.ConsentState.DISCONNECTED
    tenant.users_delta_link = tenant.devices_delta_link = ""
    tenant.health_message = ""
    tenant.save(update_fields=["consent_state", "users_delta_link", "devices_delta_link", "health_message"])
    forget_app(str(tenant.tenant_id))
    audit_record(msp=msp, action="m365.disconnect", obj=tenant, actor=actor, client=tenant.client)
    return tenant


@transaction.atomic
def tenant_update_settings(*, msp, tenant: M365Tenant, actor=None, **values: bool) -> M365Tenant:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown tenant settings: {sorted(unknown)}")
    before = snapshot(tenant, list(SETTINGS_FIELDS))
    for key, value in values.items():
        setattr(tenant, key, bool(value))
    if not tenant.sync_devices:
        tenant.sync_intune = False
    tenant.save(update_fields=list(SETTINGS_FIELDS))
    changes = {k: [before[k], getattr(tenant, k)] for k in SETTINGS_FIELDS if before[k] != getattr(tenant, k)}
    if changes:
        audit_record(msp=msp, action="m365.settings", obj=tenant, actor=actor, client=tenant.client, changes=changes)
    return tenant


# -- import from Microsoft 365 -------------------------------------------------------------
def tenant_domain_names(tenant: M365Tenant) -> list[str]:
    """Verified domains worth a client email domain: not *.onmicrosoft.com, default first."""
    names = [d["name"] for d in sorted(tenant.verified_domains or [], key=lambda d: not d.get("isDefault"))]
    return [n for n in names if not n.endswith(".onmicrosoft.com")]


def tenant_domains_taken(*, msp, tenant: M365Tenant) -> dict[str, str]:
    """{domain: client name} for the tenant's domains already on a client of `msp`
    (domains are unique per MSP, so an import does not add them again)."""
    return dict(ClientDomain.objects.filter(msp=msp, domain__in=tenant_domain_names(tenant))
                .values_list("domain", "client__name"))


def tenant_client_suggestions(*, msp, tenant: M365Tenant) -> list[Client]:
    """Clients whose email domains match the tenant's verified domains (best first)."""
    names = [d["name"] for d in tenant.verified_domains or []]
    rows = (ClientDomain.objects.filter(msp=msp, domain__in=names, client__status__in=[
        Client.Status.ACTIVE, Client.Status.LEAD]).select_related("client"))
    hits: dict[int, list] = {}
    for row in rows:
        hits.setdefault(row.client_id, [row.client, 0])[1] += 1
    return [client for client, _ in sorted(hits.values(), key=lambda h: (-h[1], h[0].name))]


@transaction.atomic
def tenant_create_client(*, msp, tenant: M365Tenant, actor=None, name: str = "") -> Client:
    """Import: a new client named after the organisation, with its verified domains."""
    if tenant.client_id is not None:
        raise ValidationError({"tenant": "This tenant already belongs to a client."})
    taken = tenant_domains_taken(msp=msp, tenant=tenant)
    client = client_create(msp=msp, actor=actor, name=(name or tenant.display_name or str(tenant.tenant_id))[:200],
                           domains=[d for d in tenant_domain_names(tenant) if d not in taken])
    return tenant_attach_client(msp=msp, tenant=tenant, client=client, actor=actor).client


@transaction.atomic
def tenant_attach_client(*, msp, tenant: M365Tenant, client: Client, actor=None) -> M365Tenant:
    if client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    client_assert_open(client)
    if tenant.client_id not in (None, client.pk):
        raise ValidationError({"tenant": f"This tenant already belongs to {tenant.client}."})
    tenant.client = client
    tenant.save(update_fields=["client"])
    audit_record(msp=msp, action="m365.attach", obj=tenant, actor=actor, client=client)
    return tenant


# -- syncs -----------------------------------------------------------------------------------
def sync_active_run(*, msp, tenant: M365Tenant) -> SyncRun | None:
    return (SyncRun.objects.filter(msp=msp, tenant=tenant, status__in=[SyncRun.Status.QUEUED,
                                                                        SyncRun.Status.RUNNING])
            .order_by("-created_at").first())


def sync_enqueue(*, msp, tenant: M365Tenant, trigger: str = SyncRun.Trigger.MANUAL, full: bool = False,
                 actor=None) -> SyncRun:
    """Queue a sync (or return the one already queued/running). The SyncRun row exists
    at once, so the page can show its progress while the worker picks it up."""
    from .tasks import m365_sync_tenant

    if tenant.client is None:
        raise ValidationError({"tenant": "Give this tenant a client before syncing it."})
    client_assert_open(tenant.client)
    if tenant.consent_state == M365Tenant.ConsentState.DISCONNECTED:
        raise ValidationError({"tenant": "This tenant is disconnected: connect it again first."})
    active = sync_active_run(msp=msp, tenant=tenant)
    if active is not None:
        return active
    run = SyncRun.objects.create(msp=msp, tenant=tenant, client=tenant.client, trigger=trigger, full=full,
                                 triggered_by=actor if getattr(actor, "pk", None) else None)
    transaction.on_commit(lambda: m365_sync_tenant.delay(msp.pk, tenant.pk, run_pk=run.pk, full=full))
    return run


def tenants_due(*, msp) -> list[M365Tenant]:
    """Tenants the schedule syncs: connected (reconnect-required ones are paused), with
    an open client."""
    return list(M365Tenant.objects.filter(msp=msp, consent_state=M365Tenant.ConsentState.CONNECTED,
                                          client__isnull=False)
                .exclude(client__status=Client.Status.ARCHIVED).select_related("client"))


def schedule_ensure(*, msp, create: bool = True) -> None:
    """One django-celery-beat PeriodicTask per MSP, every Msp.m365_sync_interval_minutes.
    create=False only updates an existing one (the Msp's interval changed)."""
    import json

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    name = f"m365-sync-msp-{msp.pk}"
    if not create and not PeriodicTask.objects.filter(name=name).exists():
        return
    every = max(5, int(msp.m365_sync_interval_minutes or 24 * 60))
    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.update_or_create(
        name=name,
        defaults={"task": "integrations.m365.tasks.m365_sync_msp", "interval": interval,
                  "args": json.dumps([msp.pk]), "enabled": True},
    )
    if create:  # tenant health, on its own interval (conf.health_every_minutes)
        health, _ = IntervalSchedule.objects.get_or_create(every=max(15, conf.health_every_minutes()),
                                                           period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.update_or_create(
            name=f"m365-health-msp-{msp.pk}",
            defaults={"task": "integrations.m365.tasks.m365_health_msp", "interval": health,
                      "args": json.dumps([msp.pk]), "enabled": True},
        )


def tenant_associate(*, msp, client, tenant_id: str, actor=None) -> M365Tenant:
    """Seed 001's "associate a tenant with a customer": a tenant already known to the
    MSP (imported from Microsoft 365, waiting for a client) is attached; an unknown
    one is connected, which proves OpsMerge's consent in that tenant with Microsoft
    first (M365Error when it cannot). Within an MSP a tenant belongs to one client:
    both services refuse a tenant of another client."""
    known = M365Tenant.objects.filter(msp=msp, tenant_id=tenant_id).first()
    if known is not None and known.client_id is None and known.consent_state == M365Tenant.ConsentState.CONNECTED:
        return tenant_attach_client(msp=msp, tenant=known, client=client, actor=actor)
    return tenant_connect(msp=msp, client=client, tenant_id=tenant_id, actor=actor, patience=0)
