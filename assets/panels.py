"""What assets add to other apps' pages (opsmerge.registry): per-row counts, the
asset cards of the contact and site pages, the assets figure of the client overview."""

from __future__ import annotations

from django.urls import reverse

from opsmerge.db import count_subquery

from .models import Asset


def active_assets_by(fk: str):
    return count_subquery(Asset.objects.filter(is_active=True), fk)


def contact_assets(*, msp, obj) -> dict:
    return {"assets": Asset.objects.filter(msp=msp, contact=obj, is_active=True).select_related("site")[:50],
            "assets_empty": "No assets assigned.", "assets_by_site": True}


def site_assets(*, msp, obj) -> dict:
    return {"assets": Asset.objects.filter(msp=msp, site=obj, is_active=True).select_related("contact")[:100],
            "assets_empty": "No assets at this site.", "assets_more_url": f"{reverse('assets:list')}?site={obj.pk}"}
