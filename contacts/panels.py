"""What contacts add to other apps' pages (opsmerge.registry)."""

from __future__ import annotations

from opsmerge.db import count_subquery

from .models import Contact


def client_contact_count():
    return count_subquery(Contact.objects.filter(deleted_at__isnull=True), "client")


def client_stat(*, msp, obj) -> dict:
    return {"primary_contact": Contact.objects.filter(msp=msp, client=obj, is_primary=True).alive().first()}


def email_clash_gate(*, msp, client) -> str:
    """Contacts outlive a deleted client (they lose the link); an email a contact
    without a client already uses would collide with the per-client unique email."""
    clash = (
        Contact.objects.alive().filter(msp=msp, client=client).exclude(email="")
        .filter(email__in=Contact.objects.alive().filter(msp=msp, client__isnull=True).values("email"))
        .values_list("email", flat=True)[:5]
    )
    if not clash:
        return ""
    return "Contacts without a client already use " + ", ".join(clash) + ": merge or delete those contacts first."
