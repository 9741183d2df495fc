"""Invoice emails, sent by workers after the write committed."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp


@shared_task(base=MspTask, bind=True, name="billing.invoice_email", acks_late=True)
def invoice_email(self, msp_id: int, delivery_id: int) -> bool:
    from .services import invoice_email_send

    return invoice_email_send(msp=current_msp(), delivery_id=delivery_id)
