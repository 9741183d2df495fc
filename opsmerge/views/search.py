"""Global search (the box in the top bar, focused with "/")."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render

from accounts.permissions import Op

from .generic import msp_view

RESULTS_PER_KIND = 8


def search_everything(*, msp, request, q: str) -> list[dict]:
    """Clients by name/domain, contacts by name/email/phone, sites by name/city,
    assets by name/serial: a few of each, one query per kind."""
    from assets.models import Asset
    from clients.filtersets import ClientFilterSet
    from clients.selectors import client_list
    from contacts.filtersets import ContactFilterSet
    from contacts.models import Contact
    from sites.models import Site

    clients = ClientFilterSet({"q": q}, queryset=client_list(msp=msp), request=request).qs.order_by("name")
    contacts = ContactFilterSet(
        {"q": q}, queryset=Contact.objects.filter(msp=msp).alive().select_related("client"), request=request
    ).qs.order_by("last_name", "first_name", "pk")
    sites = (Site.objects.filter(msp=msp).filter(Q(name__icontains=q) | Q(city__icontains=q))
             .exclude(client__status="archived").select_related("client").order_by("name", "pk"))
    assets = (Asset.objects.filter(msp=msp, is_active=True)
              .filter(Q(name__icontains=q) | Q(serial_number__iexact=q) | Q(serial_number__icontains=q))
              .select_related("client").order_by("name", "pk"))
    return [
        {"kind": "Clients", "icon": "building", "items": list(clients[:RESULTS_PER_KIND]), "more": "clients:list"},
        {"kind": "Contacts", "icon": "users", "items": list(contacts[:RESULTS_PER_KIND]), "more": "contacts:list"},
        {"kind": "Sites", "icon": "pin", "items": list(sites[:RESULTS_PER_KIND]), "more": "sites:list"},
        {"kind": "Assets", "icon": "laptop", "items": list(assets[:RESULTS_PER_KIND]), "more": "assets:list"},
    ]


@msp_view(Op.VIEW)
def search(request):
    q = " ".join(request.GET.get("q", "").split())[:100]
    groups = search_everything(msp=request.msp, request=request, q=q) if len(q) >= 2 else []
    return render(request, "search.html", {
        "q": q, "groups": groups, "total": sum(len(g["items"]) for g in groups),
    })
