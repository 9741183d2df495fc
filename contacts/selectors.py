"""Read queries of contacts."""

from __future__ import annotations

from django.db.models import QuerySet

from .filtersets import ContactFilterSet
from .models import Contact


def contact_search(*, msp, request, q: str) -> QuerySet[Contact]:
    """Global search: live contacts by name, email or phone (the list's own `q` filter)."""
    queryset = Contact.objects.filter(msp=msp).alive().select_related("client")
    return ContactFilterSet({"q": q}, queryset=queryset, request=request).qs.order_by("last_name", "first_name", "pk")


def contact_search_subtitle(contact: Contact) -> str:
    return f"{contact.email or 'No email'} · {contact.client or 'No client'}"
