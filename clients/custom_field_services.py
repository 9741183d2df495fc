"""Defining custom fields (Settings → Custom fields). Values are validated by
clients.custom_fields; changing a field's key would orphan stored values, so the
key is fixed once created."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import Op, require
from opsmerge.audit import audit_record, diff, snapshot

from .models import CustomField

FIELDS = ("applies_to", "key", "label", "field_type", "choices", "required", "position")


def _validate(*, msp, field: CustomField) -> None:
    if field.field_type == CustomField.Type.CHOICE and not field.choices:
        raise ValidationError({"choices": "A choice field needs at least one choice."})
    if field.field_type != CustomField.Type.CHOICE:
        field.choices = []
    clash = CustomField.objects.filter(msp=msp, applies_to=field.applies_to, key=field.key)
    if field.pk:
        clash = clash.exclude(pk=field.pk)
    if clash.exists():
        raise ValidationError({"key": f"There already is a field with the key “{field.key}”."})
    field.full_clean(exclude=["msp"])


@transaction.atomic
def custom_field_create(*, msp, actor, **fields: Any) -> CustomField:
    require(actor, Op.SETTINGS)
    field = CustomField(msp=msp, **{k: v for k, v in fields.items() if k in FIELDS})
    _validate(msp=msp, field=field)
    field.save()
    audit_record(msp=msp, actor=actor, action="customfield.create", obj=field, changes=snapshot(field))
    return field


@transaction.atomic
def custom_field_update(*, msp, field: CustomField, actor, **fields: Any) -> CustomField:
    require(actor, Op.SETTINGS)
    if field.msp_id != msp.pk:
        raise ValidationError("Unknown field.")
    before = snapshot(field)
    for name in ("label", "field_type", "choices", "required", "position"):
        if name in fields:
            setattr(field, name, fields[name])
    _validate(msp=msp, field=field)
    field.save()
    changes = diff(before, snapshot(field))
    if changes:
        audit_record(msp=msp, actor=actor, action="customfield.update", obj=field, changes=changes)
    return field


@transaction.atomic
def custom_field_delete(*, msp, field: CustomField, actor) -> None:
    """Removes the definition; stored values stay in the JSON (harmless, and back
    if a field with the same key is defined again)."""
    require(actor, Op.SETTINGS)
    if field.msp_id != msp.pk:
        raise ValidationError("Unknown field.")
    audit_record(msp=msp, actor=actor, action="customfield.delete", obj=field, changes=snapshot(field))
    field.delete()
