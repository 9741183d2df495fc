"""Celery tasks: the per-MSP poll (beat fans out one per active mailbox every minute)
and the acknowledgement email."""

from __future__ import annotations

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp, unscoped


@shared_task(base=MspTask, bind=True, name="mail.poll", acks_late=True)
def mail_poll(self, msp_id: int) -> dict | None:
    from .imap import mailbox_poll
    from .models import Mailbox

    msp = current_msp()
    mailbox = Mailbox.objects.filter(msp=msp, is_active=True).first()
    if mailbox is None:
        return None
    result = mailbox_poll(msp=msp, mailbox=mailbox)
    return {"fetched": result.fetched, "counts": result.counts, "error": result.error, "skipped": result.skipped}


@shared_task(name="mail.poll_all")
def mail_poll_all() -> int:
    from .models import Mailbox

    with unscoped("beat: queue one poll per MSP with an active mailbox"):
        msp_ids = list(Mailbox.objects.filter(is_active=True).values_list("msp_id", flat=True))
    for msp_id in msp_ids:
        mail_poll.delay(msp_id)
    return len(msp_ids)


@shared_task(base=MspTask, bind=True, name="mail.ack_send")
def mail_ack_send(self, msp_id: int, ticket_id: int, to: str, in_reply_to: str) -> bool:
    from .notifications import ack_send

    return ack_send(msp=current_msp(), ticket_id=ticket_id, to=to, in_reply_to=in_reply_to)


@shared_task(base=MspTask, bind=True, name="mail.announcement_send", acks_late=True)
def announcement_send_task(self, msp_id: int, announcement_id: int) -> int:
    from .announcements import announcement_send

    return announcement_send(msp=current_msp(), announcement_id=announcement_id)
