"""Writes on sites (one HQ per client, moved atomically)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from clients.business_hours import calendar_changed
from clients.models import Client
from clients.services import client_assert_open
from opsmerge.audit import audit_record, diff, snapshot
from opsmerge.db import lock_for_update

from .models import Site

SITE_FIELDS = ("name", "location", "is_hq", "time_zone", "street", "city", "postal_code", "state", "country")


def _validate(*, msp, site: Site) -> None:
    if site.client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    clash = Site.objects.filter(msp=msp, client=site.client, name__iexact=site.name.strip())
    if site.pk:
        clash = clash.exclude(pk=site.pk)
    if clash.exists():
        raise ValidationError({"name": f"{site.client.name} already has a site called {site.name}."})
    site.full_clean(exclude=["msp", "client"])


def _take_hq(*, msp, site: Site) -> None:
    Client.objects.select_for_update().filter(msp=msp, pk=site.client_id).get()
    others = Site.objects.filter(msp=msp, client_id=site.client_id, is_hq=True)
    if site.pk:
        others = others.exclude(pk=site.pk)
    others.update(is_hq=False)


@transaction.atomic
def site_create(*, msp, client: Client, actor=None, **fields: Any) -> Site:
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_create got unknown fields: {sorted(unknown)}")
    client_assert_open(client)
    site = Site(msp=msp, client=client, **fields)
    if not Site.objects.filter(msp=msp, client=client).exists():
        site.is_hq = True  # a client's first site is its HQ
    _validate(msp=msp, site=site)
    if site.is_hq:
        _take_hq(msp=msp, site=site)
    site.save()
    audit_record(msp=msp, actor=actor, action="site.create", obj=site, changes=snapshot(site))
    return site


@transaction.atomic
def site_update(*, msp, site: Site, actor=None, **fields: Any) -> Site:
    if site.msp_id != msp.pk:
        raise ValidationError("Unknown site.")
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_update got unknown fields: {sorted(unknown)}")
    lock_for_update(site, message="This site no longer exists.")
    before = snapshot(site)
    for name, value in fields.items():
        setattr(site, name, value)
    _validate(msp=msp, site=site)
    if site.is_hq and not before["is_hq"]:
        _take_hq(msp=msp, site=site)
    site.save(force_update=True)
    changes = diff(before, snapshot(site))
    if changes:
        audit_record(msp=msp, actor=actor, action="site.update", obj=site, changes=changes)
    if "time_zone" in changes:
        calendar_changed(msp=msp, client=site.client)
    return site


def site_onboard(*, msp, client: Client, data: dict[str, Any], actor=None) -> Site:
    """The new-client form's HQ site (opsmerge.registry.onboarding_steps "hq_site")."""
    if not (data.get("name") or "").strip():
        raise ValidationError({"name": "This field is required."})
    return site_create(msp=msp, client=client, actor=actor, **{**data, "is_hq": True})
