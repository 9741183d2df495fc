"""Global search (the box in the top bar, focused with "/"): one group per search
provider an app registered (opsmerge.registry.search_providers), a few rows each,
one query per group."""

from __future__ import annotations

from django.shortcuts import render

from opsmerge.links import object_url
from opsmerge.permissions import permissions_for
from opsmerge.registry import search_providers

from .generic import msp_view

RESULTS_PER_KIND = 8


def search_everything(*, msp, request, q: str) -> list[dict]:
    allowed = permissions_for(request.user)
    groups = []
    for provider in search_providers:
        if provider.op not in allowed:
            continue
        items = list(provider.search(msp=msp, request=request, q=q)[:RESULTS_PER_KIND])
        groups.append({"kind": provider.label, "icon": provider.icon, "more": provider.more_url,
                       "items": [{"obj": obj, "url": object_url(obj), "sub": provider.subtitle(obj)}
                                 for obj in items]})
    return groups


@msp_view("view")
def search(request):
    q = " ".join(request.GET.get("q", "").split())[:100]
    groups = search_everything(msp=request.msp, request=request, q=q) if len(q) >= 2 else []
    return render(request, "search.html", {
        "q": q, "groups": groups, "total": sum(len(g["items"]) for g in groups),
    })
