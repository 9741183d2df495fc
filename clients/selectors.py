"""Reads of clients. Every function takes the MSP explicitly (tenancy layer 3)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from opsmerge.registry import annotations_for
from opsmerge.tenancy import msp_get_or_404

from .models import Client, ClientDomain


def client_get(*, msp, pk, include_archived: bool = True) -> Client:
    """One client of `msp` or Http404 (same answer for missing and foreign)."""
    qs = Client.objects.all() if include_archived else Client.objects.not_archived()
    return msp_get_or_404(qs.select_related("account_manager"), msp=msp, pk=pk)


def client_get_many(*, msp, pks: list[int]) -> list[Client]:
    """Clients of `msp` in the order of `pks`, in one query; Http404 when any is
    missing or foreign (as client_get)."""
    found = Client.objects.filter(msp=msp).select_related("account_manager").in_bulk(pks)
    if len(found) != len(set(pks)):
        raise Http404
    return [found[pk] for pk in pks]


def primary_domain_subquery():
    return Subquery(
        ClientDomain.objects.filter(client=OuterRef("pk"))
        .order_by("-is_primary", "domain")
        .values("domain")[:1]
    )


def client_list(*, msp, include_archived: bool = False) -> QuerySet[Client]:
    """Clients of `msp` annotated with the list columns (the counts apps registered
    in opsmerge.registry.related_counts for clients with on_list), in constant queries."""
    qs = Client.objects.filter(msp=msp)
    if not include_archived:
        qs = qs.not_archived()
    return qs.select_related("account_manager").annotate(
        primary_domain=primary_domain_subquery(),
        **annotations_for("clients.Client", on_list=True),
    )


def client_pickable(*, msp) -> QuerySet[Client]:
    """Clients that may receive new things: archived clients never appear in pickers."""
    return Client.objects.filter(msp=msp).not_archived().order_by("name")


def client_search(*, msp, request, q: str) -> QuerySet[Client]:
    """Global search: open clients by name or domain (the list's own `q` filter)."""
    from .filtersets import ClientFilterSet

    return ClientFilterSet({"q": q}, queryset=client_list(msp=msp), request=request).qs.order_by("name")


def client_search_subtitle(client: Client) -> str:
    return f"{client.primary_domain or 'No domain'} · {client.get_status_display()}"
