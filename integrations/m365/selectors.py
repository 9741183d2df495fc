"""Reads of the Microsoft 365 integration (every lookup filtered by msp)."""

from __future__ import annotations

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from opsmerge.tenancy import msp_get_or_404

from .models import M365Tenant, SyncRun


def tenant_get(*, msp, pk) -> M365Tenant:
    """One tenant of `msp` or Http404 (same answer for missing and foreign)."""
    return msp_get_or_404(M365Tenant.objects.select_related("client"), msp=msp, pk=pk)


def tenant_list(*, msp, client=None):
    qs = M365Tenant.objects.filter(msp=msp).select_related("client")
    if client is not None:
        qs = qs.filter(client=client)
    return qs.order_by("display_name", "pk")


def runs_by_tenant(*, msp, tenants, limit: int = 10) -> dict[int, list[SyncRun]]:
    """The latest `limit` runs of each tenant, in one query."""
    ids = [t.pk for t in tenants]
    out: dict[int, list[SyncRun]] = {pk: [] for pk in ids}
    if not ids:
        return out
    ranked = (SyncRun.objects.filter(msp=msp, tenant_id__in=ids)
              .annotate(rank=Window(RowNumber(), partition_by=[F("tenant_id")],
                                    order_by=[F("created_at").desc(), F("id").desc()]))
              .filter(rank__lte=limit).select_related("triggered_by").order_by("tenant_id", "rank"))
    for run in ranked:
        out[run.tenant_id].append(run)
    return out
