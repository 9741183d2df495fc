"""Celery tasks: thin shells that fetch by id and call one service."""

from __future__ import annotations

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp

from .connectors import PsaError
from .models import CompanyLink, PsaConnection, PsaSyncRun
from .services import company_set_active, connections_due, sync_enqueue
from .sync import connection_sync


@shared_task(base=MspTask, bind=True, max_retries=3, acks_late=True)
def psa_sync_connection(self, msp_id: int, connection_pk: int, *, run_pk: int | None = None, full: bool = False,
                        trigger: str = PsaSyncRun.Trigger.MANUAL):
    msp = current_msp()
    connection = PsaConnection.objects.filter(msp=msp, pk=connection_pk).first()
    if connection is None:
        return None
    run = PsaSyncRun.objects.filter(msp=msp, pk=run_pk, status=PsaSyncRun.Status.QUEUED).first() if run_pk else None
    run = connection_sync(msp=msp, connection=connection, trigger=run.trigger if run else trigger, full=full, run=run)
    error = getattr(run, "error", None)
    if error is not None and error.retryable and self.request.retries < self.max_retries:
        raise self.retry(countdown=max(30, int(error.retry_after or 60)), kwargs={"run_pk": None, "full": full,
                                                                                 "trigger": run.trigger})
    return {"run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(base=MspTask, bind=True)
def psa_sync_msp(self, msp_id: int):
    """The beat entry (one PeriodicTask per MSP): queue every enabled connection."""
    msp = current_msp()
    return [sync_enqueue(msp=msp, connection=c, trigger=PsaSyncRun.Trigger.SCHEDULE).pk
            for c in connections_due(msp=msp)]


@shared_task(base=MspTask, bind=True, max_retries=5, acks_late=True)
def psa_company_active(self, msp_id: int, link_pk: int, active: bool):
    """Archive → inactive in the PSA, restore → active (seed 003)."""
    msp = current_msp()
    link = CompanyLink.objects.select_related("connection", "client").filter(msp=msp, pk=link_pk).first()
    if link is None or not link.external_id:
        return None
    try:
        return company_set_active(msp=msp, link=link, active=active)
    except PsaError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(countdown=max(30, int(exc.retry_after or 60))) from None
        raise


@shared_task(base=MspTask, bind=True, max_retries=5, acks_late=True)
def psa_push_ticket(self, msp_id: int, connection_pk: int, ticket_pk: int):
    from tickets.models import Ticket

    from .services import ticket_push

    msp = current_msp()
    connection = PsaConnection.objects.filter(msp=msp, pk=connection_pk).first()
    ticket = Ticket.objects.filter(msp=msp, pk=ticket_pk).first()
    if connection is None or ticket is None:
        return None
    try:
        link = ticket_push(msp=msp, connection=connection, ticket=ticket)
    except PsaError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(countdown=max(30, int(exc.retry_after or 60))) from None
        if exc.kind == "validation":
            from .models import TicketLink

            TicketLink.objects.filter(msp=msp, connection=connection, ticket=ticket).update(error=exc.describe()[:255])
            return None
        raise
    return link.external_id if link else None
