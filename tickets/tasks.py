"""Ticket emails, sent by workers after the write committed."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp


@shared_task(base=MspTask, bind=True, name="tickets.vip_notify")
def ticket_vip_notify(self, msp_id: int, ticket_id: int) -> int:
    from .notifications import vip_ticket_notify

    return vip_ticket_notify(msp=current_msp(), ticket_id=ticket_id)


@shared_task(base=MspTask, bind=True, name="tickets.contact_reply_notify")
def ticket_contact_reply_notify(self, msp_id: int, comment_id: int) -> bool:
    from .notifications import contact_reply_notify_assignee

    return contact_reply_notify_assignee(msp=current_msp(), comment_id=comment_id)


@shared_task(base=MspTask, bind=True, name="tickets.sla_recompute")
def sla_recompute_task(self, msp_id: int, client_id: int | None = None) -> int:
    """Due times of the client's open tickets (client_id None: all of the MSP's) after
    business hours, holidays, a time zone or an SLA policy changed."""
    from .sla.recompute import sla_recompute

    return sla_recompute(msp=current_msp(), client_ids=None if client_id is None else [client_id])


@shared_task(base=MspTask, bind=True, name="tickets.sla_warn")
def sla_warn_task(self, msp_id: int) -> int:
    from .sla.warnings import sla_warn

    return sla_warn(msp=current_msp())


@shared_task(name="tickets.sla_warn_all")
def sla_warn_all() -> int:
    """Beat: queue the breach warnings of every MSP (each runs in its own scope)."""
    from accounts.models import Msp

    ids = list(Msp.objects.order_by("pk").values_list("pk", flat=True))
    for msp_id in ids:
        sla_warn_task.delay(msp_id)
    return len(ids)
