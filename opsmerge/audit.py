"""Audit trail: services call `audit_record` for every write they make."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditEvent
from .request_context import current_request_id


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return {"id": value.pk, "repr": str(value)}
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Concrete field values of `instance` (FKs as ids), for before/after diffs."""
    out = {}
    for field in instance._meta.concrete_fields:
        if field.name in ("msp", "updated_at") or (fields is not None and field.name not in fields):
            continue
        out[field.attname] = _plain(getattr(instance, field.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_record(
    *,
    msp,
    action: str,
    obj: models.Model | None = None,
    actor=None,
    actor_label: str = "",
    client=None,
    changes: dict | None = None,
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Record one write. `client` defaults to the object itself (for clients) or its
    `client` attribute, so the client's Activity tab shows it."""
    if client is None and obj is not None:
        client = obj if obj._meta.label_lower == "clients.client" else getattr(obj, "client", None)
    return AuditEvent.objects.create(
        msp=msp,
        actor=actor if getattr(actor, "pk", None) and actor._meta.label_lower == "accounts.user" else None,
        actor_label=actor_label or ("" if actor is None else str(actor)),
        action=action,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:255],
        client=client,
        client_name=(client.name if client is not None else "")[:200],
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        reason=reason,
        request_id=current_request_id(),
    )
