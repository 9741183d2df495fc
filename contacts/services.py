"""Writes on contacts: create, update, role flags (one primary per client, moved
atomically), inactive, tags. Soft delete / restore / merge live in the lifecycle
modules; every write is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from clients.custom_fields import custom_fields_clean
from clients.models import Client, CustomField
from clients.services import client_assert_open, tags_get_or_create
from opsmerge.audit import audit_record, diff, snapshot
from opsmerge.db import lock_for_update
from opsmerge.validators import normalize_email

from .models import Contact, ContactTag

CONTACT_FIELDS = (
    "client", "kind", "organisation", "first_name", "last_name", "organisation_name", "email", "phone", "mobile",
    "job_title", "department", "office", "notes", "is_primary", "is_billing", "is_portal_user", "is_technical",
    "is_vip", "is_active", "portal_sees_all_tickets",
)


def _validate(*, msp, contact: Contact) -> None:
    if contact.client is not None and contact.client.msp_id != msp.pk:
        raise ValidationError({"client": "Unknown client."})
    if contact.organisation is not None:
        org = contact.organisation
        if org.msp_id != msp.pk or org.kind != Contact.Kind.ORGANISATION or org.deleted_at is not None:
            raise ValidationError({"organisation": "Choose an organisation contact."})
        if org.pk == contact.pk:
            raise ValidationError({"organisation": "A contact cannot belong to itself."})
    if contact.kind == Contact.Kind.ORGANISATION:
        contact.organisation = None
        if not contact.organisation_name.strip():
            raise ValidationError({"organisation_name": "An organisation needs a name."})
    elif not (contact.first_name.strip() or contact.last_name.strip() or contact.email):
        raise ValidationError({"first_name": "Give at least a name or an email address."})
    if contact.is_primary and contact.client is None:
        raise ValidationError({"is_primary": "Only a contact of a client can be its primary contact."})
    contact.email = normalize_email(contact.email)
    if contact.is_primary and contact.email and (problem := msp.primary_contact_email_problem(contact.email)):
        # Refused when it becomes the primary's email; a row saved so before the rule is
        # not blocked on unrelated edits. (The stored row, not the instance: a form has
        # already copied its values onto the instance.)
        stored = Contact.objects.filter(msp=msp, pk=contact.pk).values("is_primary", "email").first() \
            if contact.pk else None
        if stored is None or not stored["is_primary"] or normalize_email(stored["email"]) != contact.email:
            raise ValidationError({"email": problem})
    if contact.email:
        clash = Contact.objects.alive().filter(msp=msp, client=contact.client).annotate(
            lemail=Lower("email")).filter(lemail=contact.email)
        if contact.pk:
            clash = clash.exclude(pk=contact.pk)
        if clash.exists():
            where = contact.client.name if contact.client else "contacts without a client"
            raise ValidationError({"email": f"{contact.email} is already a contact of {where}."})
    contact.full_clean(exclude=["msp", "client", "organisation", "tags"])


def _take_primary(*, msp, contact: Contact) -> None:
    """Make `contact` the client's only primary: lock the client row so two
    concurrent "make primary" clicks serialise, then clear the old flag."""
    Client.objects.select_for_update().filter(msp=msp, pk=contact.client_id).get()
    others = Contact.objects.filter(msp=msp, client_id=contact.client_id, is_primary=True)
    if contact.pk:
        others = others.exclude(pk=contact.pk)
    others.update(is_primary=False)


def contact_set_tags(*, msp, contact: Contact, names: Iterable[str]) -> None:
    tags = tags_get_or_create(msp=msp, names=names)
    ContactTag.objects.filter(msp=msp, contact=contact).exclude(tag__in=tags).delete()
    ContactTag.objects.bulk_create([ContactTag(msp=msp, contact=contact, tag=t) for t in tags], ignore_conflicts=True)


def _save(contact: Contact, *, update: bool = False) -> None:
    try:
        with transaction.atomic():
            contact.save(force_update=update)
    except IntegrityError as exc:  # a concurrent writer won the unique email
        if "contact_email_unique_per_client" in str(exc):
            raise ValidationError({"email": f"{contact.email} is already a contact of this client."}) from None
        raise


@transaction.atomic
def contact_create(*, msp, actor=None, tags: Iterable[str] = (), custom_fields: dict | None = None,
                   source: str = Contact.Source.MANUAL, **fields: Any) -> Contact:
    unknown = set(fields) - set(CONTACT_FIELDS) - {"m365_tenant", "m365_object_id", "m365_upn", "external_ids"}
    if unknown:
        raise TypeError(f"contact_create got unknown fields: {sorted(unknown)}")
    contact = Contact(msp=msp, source=source, **fields)
    client_assert_open(contact.client)
    contact.custom_fields = custom_fields_clean(msp=msp, applies_to=CustomField.AppliesTo.CONTACT,
                                                values=custom_fields or {})
    _validate(msp=msp, contact=contact)
    if contact.is_primary:
        _take_primary(msp=msp, contact=contact)
    _save(contact)
    contact_set_tags(msp=msp, contact=contact, names=tags)
    audit_record(msp=msp, actor=actor, action="contact.create", obj=contact, changes=snapshot(contact))
    _after_portal_change(msp=msp, contact=contact, was_portal_user=False, actor=actor)
    return contact


@transaction.atomic
def contact_update(*, msp, contact: Contact, actor=None, tags: Iterable[str] | None = None,
                   custom_fields: dict | None = None, **fields: Any) -> Contact:
    if contact.msp_id != msp.pk or contact.deleted_at is not None:
        raise ValidationError("Unknown contact.")
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"contact_update got unknown fields: {sorted(unknown)}")
    lock_for_update(contact, message="This contact no longer exists.")
    before = snapshot(contact)
    before_tags = sorted(contact.tags.values_list("name", flat=True))
    was_portal_user = contact.is_portal_user and contact.is_active
    if "client" in fields and fields["client"] != contact.client:
        client_assert_open(fields["client"])
    for name, value in fields.items():
        setattr(contact, name, value)
    if custom_fields is not None:
        contact.custom_fields = custom_fields_clean(msp=msp, applies_to=CustomField.AppliesTo.CONTACT,
                                                    values=custom_fields)
    _validate(msp=msp, contact=contact)
    if contact.is_primary and not before["is_primary"]:
        _take_primary(msp=msp, contact=contact)
    _save(contact, update=True)
    changes = diff(before, snapshot(contact))
    if tags is not None:
        contact_set_tags(msp=msp, contact=contact, names=tags)
        after_tags = sorted(contact.tags.values_list("name", flat=True))
        if after_tags != before_tags:
            changes["tags"] = [before_tags, after_tags]
    if changes:
        audit_record(msp=msp, actor=actor, action="contact.update", obj=contact, changes=changes)
    _after_portal_change(msp=msp, contact=contact, was_portal_user=was_portal_user, actor=actor)
    return contact


def contact_make_primary(*, msp, contact: Contact, actor=None) -> Contact:
    """Move the client's primary flag to `contact` in one transaction."""
    return contact_update(msp=msp, contact=contact, actor=actor, is_primary=True)


def _after_portal_change(*, msp, contact: Contact, was_portal_user: bool, actor) -> None:
    """Hook for the portal: ticking Portal user sends an invite; losing it (or
    going inactive) ends portal sessions. The portal app registers the handlers."""
    from .signals import portal_access_changed

    now_portal_user = contact.is_portal_user and contact.is_active and contact.deleted_at is None
    if now_portal_user != was_portal_user:
        transaction.on_commit(lambda: portal_access_changed.send(
            sender=Contact, msp=msp, contact=contact, granted=now_portal_user, actor=actor))


def contact_onboard(*, msp, client, data: dict[str, Any], actor=None) -> Contact:
    """The new-client form's primary contact (opsmerge.registry.onboarding_steps
    "primary_contact"): a person with a name and the client's email, never the
    technician's own sign-in email."""
    email = (data.get("email") or "").strip().lower()
    if actor is not None and email and email == actor.email.lower():
        raise ValidationError({"email": "Use the client's email, not your own sign-in email."})
    for key in ("first_name", "last_name", "email"):
        if not (data.get(key) or "").strip():
            raise ValidationError({key: "This field is required."})
    return contact_create(msp=msp, actor=actor, **{**data, "client": client, "is_primary": True})
