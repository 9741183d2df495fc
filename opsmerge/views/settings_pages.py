"""Settings index: one card per page an app registered (opsmerge.registry.settings_pages)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from opsmerge.permissions import permissions_for
from opsmerge.registry import settings_pages

from .generic import msp_view


@msp_view("settings")
def settings_index(request):
    allowed = permissions_for(request.user)
    cards = []
    for page in settings_pages:
        if page.op not in allowed:
            continue
        try:
            url = reverse(page.url_name)
        except NoReverseMatch:
            continue
        count = page.count(msp=request.msp) if page.count is not None else None
        cards.append({"label": page.label, "url": url, "description": page.description, "count": count})
    return render(request, "settings/index.html", {"cards": cards})
