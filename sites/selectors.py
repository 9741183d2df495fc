"""Read queries of sites."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from opsmerge.tenancy import msp_get_or_404

from .models import Site


def site_get(*, msp, pk) -> Site:
    """A site of `msp` or 404 (missing and foreign alike)."""
    return msp_get_or_404(Site.objects.select_related("client"), msp=msp, pk=pk)


def site_search(*, msp, request, q: str) -> QuerySet[Site]:
    """Global search: sites of open clients by name or city."""
    return (Site.objects.filter(msp=msp).filter(Q(name__icontains=q) | Q(city__icontains=q))
            .exclude(client__status="archived").select_related("client").order_by("name", "pk"))


def site_search_subtitle(site: Site) -> str:
    return f"{site.client} · {site.city}" if site.city else str(site.client)
