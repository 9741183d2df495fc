"""Writes on assets from the web UI (assignment to client / site / contact, details)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from clients.services import client_assert_open
from opsmerge.audit import audit_record, diff, snapshot

from .models import Asset

ASSET_FIELDS = ("client", "site", "contact", "name", "kind", "os", "os_version", "manufacturer", "model",
                "serial_number", "is_managed", "is_active")


@transaction.atomic
def asset_update(*, msp, asset: Asset, actor=None, **fields: Any) -> Asset:
    if asset.msp_id != msp.pk:
        raise ValidationError("Unknown asset.")
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise TypeError(f"asset_update got unknown fields: {sorted(unknown)}")
    before = snapshot(asset)
    if "client" in fields and fields["client"] != asset.client:
        client_assert_open(fields["client"])  # no reassignment to an archived client (seed 003)
    for name, value in fields.items():
        setattr(asset, name, value)
    for related in ("client", "site", "contact"):
        obj = getattr(asset, related)
        if obj is not None and obj.msp_id != msp.pk:
            raise ValidationError({related: "Unknown choice."})
    if asset.site is not None and asset.site.client_id != asset.client_id:
        raise ValidationError({"site": "The site belongs to another client."})
    if asset.contact is not None and asset.contact.client_id not in (None, asset.client_id):
        raise ValidationError({"contact": "The contact belongs to another client."})
    asset.full_clean(exclude=["msp"])
    asset.save()
    changes = diff(before, snapshot(asset))
    if changes:
        audit_record(msp=msp, actor=actor, action="asset.update", obj=asset, changes=changes)
    return asset
