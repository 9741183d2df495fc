"""Celery jobs of the clients app. Each fetches by id and calls one service."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp


@shared_task(base=MspTask, bind=True)
def client_merge_run(self, msp_id, merge_id):
    """Run a queued client merge (clients.merge.client_merge_execute)."""
    from .merge import client_merge_execute
    from .models import ClientMerge

    merge = ClientMerge.objects.filter(msp_id=msp_id, pk=merge_id).first()
    if merge is not None:
        client_merge_execute(msp=current_msp(), merge=merge)


@shared_task(base=MspTask, bind=True)
def duplicates_scan(self, msp_id):
    """Recompute the MSP's possible duplicate clients. Enqueue after imports and
    syncs: `transaction.on_commit(lambda: duplicates_scan.delay(msp.pk))`."""
    from .duplicates import duplicates_recompute

    return duplicates_recompute(msp=current_msp())
