"""Read queries of assets."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Asset


def asset_list(*, msp) -> QuerySet[Asset]:
    """Assets of `msp`, unassigned or of open clients, with the list columns' relations."""
    return (Asset.objects.filter(msp=msp).filter(Q(client__isnull=True) | ~Q(client__status="archived"))
            .select_related("client", "site", "contact"))


def asset_search(*, msp, request, q: str) -> QuerySet[Asset]:
    """Global search: active assets by name or serial number."""
    return (Asset.objects.filter(msp=msp, is_active=True)
            .filter(Q(name__icontains=q) | Q(serial_number__iexact=q) | Q(serial_number__icontains=q))
            .select_related("client").order_by("name", "pk"))


def asset_search_subtitle(asset: Asset) -> str:
    text = str(asset.client) if asset.client else "No client"
    return f"{text} · SN {asset.serial_number}" if asset.serial_number else text
