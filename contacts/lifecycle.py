"""Soft delete and restore of contacts (seed 002).

A deleted contact disappears from lists and pickers (`Contact.objects.alive()`),
loses portal access at once, and keeps every reference: tickets, comments and
assets still show who it was. Only a Super Admin sees the "Deleted contacts" view
and restores. Inactive (seed 003) is a different thing: an inactive contact is
still listed and only loses portal access (`contact_update(is_active=False)`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.permissions import Op, require
from opsmerge.audit import audit_record, diff, snapshot

from .models import Contact
from .services import _after_portal_change

LIFECYCLE_FIELDS = ["deleted_at", "deleted_by", "is_primary"]


def _locked(*, msp, pk) -> Contact:
    contact = Contact.objects.select_for_update(of=("self",)).filter(msp=msp, pk=pk).select_related("client").first()
    if contact is None:
        raise ValidationError("This contact no longer exists.")
    return contact


@transaction.atomic
def contact_delete(*, msp, contact: Contact, actor, reason: str = "") -> Contact:
    """Soft-delete `contact`. Deleting a deleted contact is a no-op. A deleted
    primary contact frees the client's primary slot."""
    require(actor, Op.CONTACT_DELETE)
    locked = _locked(msp=msp, pk=contact.pk)
    if locked.deleted_at is not None:
        return locked
    was_portal_user = locked.is_portal_user and locked.is_active
    before = snapshot(locked, LIFECYCLE_FIELDS)
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor if getattr(actor, "pk", None) else None
    locked.is_primary = False
    locked.save(update_fields=[*LIFECYCLE_FIELDS, "updated_at"])
    audit_record(msp=msp, actor=actor, action="contact.delete", obj=locked,
                 changes=diff(before, snapshot(locked, LIFECYCLE_FIELDS)), reason=reason)
    _after_portal_change(msp=msp, contact=locked, was_portal_user=was_portal_user, actor=actor)
    return locked


@transaction.atomic
def contact_restore(*, msp, contact: Contact, actor) -> Contact:
    """Restore a soft-deleted contact (Super Admin). Refused while another live
    contact of the same client uses its email: merge them instead. The contact
    comes back without the primary flag; a portal user gets portal access back
    (the portal sends a fresh magic link)."""
    require(actor, Op.CONTACT_RESTORE)
    locked = _locked(msp=msp, pk=contact.pk)
    if locked.deleted_at is None:
        raise ValidationError("This contact is not deleted.")
    if locked.merged_into_id:
        raise ValidationError(f"This contact was merged into {locked.merged_into}; it cannot come back on its own.")
    if locked.email:
        clash = (Contact.objects.alive().filter(msp=msp, client_id=locked.client_id)
                 .annotate(lemail=Lower("email")).filter(lemail=locked.email.lower()).first())
        if clash is not None:
            raise ValidationError({"email": f"{clash} already uses {locked.email}: merge the two contacts instead."})
    before = snapshot(locked, LIFECYCLE_FIELDS)
    locked.deleted_at = None
    locked.deleted_by = None
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    audit_record(msp=msp, actor=actor, action="contact.restore", obj=locked,
                 changes=diff(before, snapshot(locked, LIFECYCLE_FIELDS)))
    _after_portal_change(msp=msp, contact=locked, was_portal_user=False, actor=actor)
    return locked


def contact_deleted_list(*, msp) -> QuerySet[Contact]:
    """The "Deleted contacts" view: newest deletions first."""
    return (Contact.objects.deleted().filter(msp=msp).select_related("client", "deleted_by", "merged_into")
            .order_by("-deleted_at", "pk"))
