"""Celery entry point of import jobs (thin: fetch by id, call the engine)."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp, tenant_model

from .engine import import_job_run
from .services import import_files_expire


@shared_task(base=MspTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def import_run(self, msp_id: int, job_id: int) -> str:
    """Run or resume import job `job_id`. A redelivery after a worker died resumes
    after the job's last committed batch."""
    job = import_job_run(msp=current_msp(), job_id=job_id)
    return job.status


@shared_task(base=MspTask, bind=True)
def import_files_expire_msp(self, msp_id: int) -> int:
    """Delete one MSP's import uploads older than IMPORT_FILE_RETENTION_DAYS."""
    return import_files_expire(msp=current_msp())


@shared_task
def import_files_expire_all() -> int:
    """The beat entry (settings.CELERY_BEAT_SCHEDULE, daily): one task per MSP, each
    in its own scope. Returns the number of MSPs queued."""
    msp_ids = list(tenant_model().objects.order_by("pk").values_list("pk", flat=True))
    for msp_id in msp_ids:
        import_files_expire_msp.delay(msp_id)
    return len(msp_ids)
