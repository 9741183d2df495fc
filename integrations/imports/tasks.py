"""Celery entry point of import jobs (thin: fetch by id, call the engine)."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp

from .engine import import_job_run


@shared_task(base=MspTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def import_run(self, msp_id: int, job_id: int) -> str:
    """Run or resume import job `job_id`. A redelivery after a worker died resumes
    after the job's last committed batch."""
    job = import_job_run(msp=current_msp(), job_id=job_id)
    return job.status
