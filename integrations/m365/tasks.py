"""Celery tasks: thin shells that fetch by id and call one service."""

from __future__ import annotations

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp

from .errors import Kind
from .models import M365Tenant, SyncRun
from .services import sync_enqueue, tenants_due
from .sync import tenant_sync


@shared_task(base=MspTask, bind=True, max_retries=3, acks_late=True)
def m365_sync_tenant(self, msp_id: int, tenant_pk: int, *, run_pk: int | None = None, full: bool = False,
                     trigger: str = SyncRun.Trigger.MANUAL):
    msp = current_msp()
    tenant = M365Tenant.objects.select_related("client").filter(msp=msp, pk=tenant_pk).first()
    if tenant is None:
        return None
    run = SyncRun.objects.filter(msp=msp, pk=run_pk, status=SyncRun.Status.QUEUED).first() if run_pk else None
    run = tenant_sync(msp=msp, tenant=tenant, trigger=run.trigger if run else trigger, full=full, run=run)
    error = getattr(run, "error", None)
    if error is not None and error.kind == Kind.TRANSIENT and self.request.retries < self.max_retries:
        # Microsoft asked us to come back later: a fresh run then (this one says "will retry").
        raise self.retry(countdown=max(30, int(error.retry_after or 60)),
                         kwargs={"run_pk": None, "full": full, "trigger": run.trigger})
    return {"run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(base=MspTask, bind=True)
def m365_sync_msp(self, msp_id: int):
    """The beat entry (one PeriodicTask per MSP): queue every connected tenant whose
    client is open. Reconnect-required and disconnected tenants are paused."""
    msp = current_msp()
    runs = [sync_enqueue(msp=msp, tenant=t, trigger=SyncRun.Trigger.SCHEDULE) for t in tenants_due(msp=msp)]
    return [r.pk for r in runs]


@shared_task(base=MspTask, bind=True)
def m365_health_msp(self, msp_id: int):
    """The health schedule (one PeriodicTask per MSP, M365_HEALTH_EVERY_MINUTES): read the
    health of every Graph tenant the sync schedule would sync (CIPP tenants have none)."""
    from .health import tenants_health_refresh

    tenants = [t for t in tenants_due(msp=current_msp()) if t.source == M365Tenant.Source.GRAPH]  # CIPP: no health
    return tenants_health_refresh(msp=current_msp(), tenants=tenants)
