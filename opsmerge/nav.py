"""The sidebar, drawn from the nav registry (opsmerge.registry.nav) that apps fill
in AppConfig.ready(). Entries whose url name is not (yet) defined are skipped, so
an app's page appears once its urls module ships it."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from .registry import nav


def nav_for(request, perms_ops) -> list[dict]:
    match = getattr(request, "resolver_match", None)
    namespace = match.namespaces[0] if match and match.namespaces else ""
    url_name = match.view_name if match else ""
    items = []
    for item in nav:
        if item.op not in perms_ops:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = namespace in item.namespaces or url_name == item.url_name
        items.append({"label": item.label, "url": url, "icon": item.icon, "section": item.section, "active": active})
    return items
