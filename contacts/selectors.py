"""Read queries of contacts."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from clients.models import Tag
from opsmerge.tenancy import msp_get_or_404

from .filtersets import ContactFilterSet
from .models import Contact


def contact_get(*, msp, pk) -> Contact:
    """A live contact of `msp` or 404 (soft-deleted ones live in the lifecycle pages)."""
    return msp_get_or_404(Contact.objects.alive().select_related("client", "organisation"), msp=msp, pk=pk)


def contact_tags_prefetch(msp) -> Prefetch:
    """Each contact's tags by name as `contact.tag_list` (contacts.tables.ContactTable):
    a plain list, so rendering a row builds no related manager."""
    return Prefetch("tags", queryset=Tag.objects.filter(msp=msp).order_by("name"), to_attr="tag_list")


def contact_search(*, msp, request, q: str) -> QuerySet[Contact]:
    """Global search: live contacts by name, email or phone (the list's own `q` filter)."""
    queryset = Contact.objects.filter(msp=msp).alive().select_related("client")
    return ContactFilterSet({"q": q}, queryset=queryset, request=request).qs.order_by("last_name", "first_name", "pk")


def contact_search_subtitle(contact: Contact) -> str:
    return f"{contact.email or 'No email'} · {contact.client or 'No client'}"
