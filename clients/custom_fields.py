"""Validation of MSP-defined custom field values (stored as JSON on the owner)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from .models import CustomField

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def custom_field_definitions(*, msp, applies_to: str) -> list[CustomField]:
    return list(CustomField.objects.filter(msp=msp, applies_to=applies_to))


def coerce_value(field: CustomField, raw: Any) -> Any:
    """Turn a form/CSV/API value into its JSON form, or raise ValidationError."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if field.required:
            raise ValidationError(f"{field.label} is required.")
        return None
    kind = field.field_type
    if kind == CustomField.Type.TEXT:
        return str(raw).strip()
    if kind == CustomField.Type.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(f"{field.label} must be a number.") from None
        if not number.is_finite():
            raise ValidationError(f"{field.label} must be a number.")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Type.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(f"{field.label} must be a date as YYYY-MM-DD.") from None
    if kind == CustomField.Type.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(f"{field.label} must be yes or no.")
    if kind == CustomField.Type.CHOICE:
        value = str(raw).strip()
        allowed = {str(c) for c in field.choices}
        if value not in allowed:
            raise ValidationError(f"{field.label} must be one of: {', '.join(sorted(allowed))}.")
        return value
    raise ValidationError(f"Unknown field type {kind}.")


def custom_fields_clean(*, msp, applies_to: str, values: dict[str, Any], partial: bool = False,
                        definitions: list[CustomField] | None = None) -> dict[str, Any]:
    """Validate `values` ({key: raw}) against the MSP's definitions. Unknown keys and
    bad values raise one ValidationError keyed by field key. With `partial`, missing
    required fields are not reported (updates that do not touch them)."""
    definitions = definitions if definitions is not None else custom_field_definitions(msp=msp, applies_to=applies_to)
    by_key = {f.key: f for f in definitions}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key in values:
        if key not in by_key:
            errors.setdefault(key, []).append(f"Unknown custom field “{key}”.")
    for key, field in by_key.items():
        if key not in values and partial:
            continue
        try:
            value = coerce_value(field, values.get(key))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
            continue
        if value is not None:
            clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean
