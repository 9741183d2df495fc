"""Rows that left the tenant: marked inactive (never deleted), with when and why."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Now

from opsmerge.bulk_sql import update_ids


def deactivate_unseen(model, *, msp, tenant, seen: set[str], id_field: str, reason: str, now,
                      at_field: str, reason_field: str, only_unlinked: bool = False) -> int:
    """Mark the tenant's rows whose `id_field` is not in `seen` inactive, skipping rows
    already removed. The difference is taken in Python over one indexed read of the
    tenant's ids: linear, whatever the planner's statistics say about freshly
    bulk-inserted rows; the update is one statement over an array of ids."""
    rows = model.objects.filter(msp=msp, m365_tenant=tenant, **{f"{at_field}__isnull": True}).exclude(
        **{id_field: ""})
    if only_unlinked:
        rows = rows.filter(m365_object_id="")
    gone = [pk for pk, key in rows.values_list("id", id_field).iterator(chunk_size=10_000) if key not in seen]
    return update_ids(model, gone, {"is_active": False, at_field: now, reason_field: reason}, msp_id=msp.pk)


def deactivate_ids(model, *, msp, tenant, ids: Sequence[str], id_field: str, reason: str, now,
                   at_field: str, reason_field: str) -> int:
    """Mark the tenant's rows with these Graph ids (one delta page's "@removed") inactive
    for `reason`, keeping the first removal time of rows already removed."""
    if not ids:
        return 0
    return model.objects.filter(msp=msp, m365_tenant=tenant, **{f"{id_field}__in": list(ids)}).filter(
        ~Q(**{reason_field: reason}) | Q(is_active=True)).update(
        is_active=False, **{at_field: Coalesce(F(at_field), Value(now)), reason_field: reason}, updated_at=Now())
