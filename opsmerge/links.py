"""Where an object's page is, without every model growing get_absolute_url."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

DETAIL_URLS = {
    "clients.client": ("clients:detail", "pk"),
    "contacts.contact": ("contacts:detail", "pk"),
    "sites.site": ("sites:detail", "pk"),
    "assets.asset": ("assets:detail", "pk"),
    "tickets.ticket": ("tickets:detail", "pk"),
}


def object_url(obj) -> str:
    """The detail page of `obj`, or "" when that kind has no page (yet)."""
    if obj is None:
        return ""
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    entry = DETAIL_URLS.get(obj._meta.label_lower)
    if entry is None:
        return ""
    try:
        return reverse(entry[0], kwargs={entry[1]: obj.pk})
    except NoReverseMatch:
        return ""
