"""Celery task base: every MSP task takes msp_id first and runs inside that scope."""

from celery import Task

from .tenancy import msp_scope, tenant_model


class MspTask(Task):
    """Use as `@shared_task(base=MspTask, bind=True)` with `msp_id` as the first
    argument. The task body runs inside `msp_scope(msp)`."""

    abstract = True

    def __call__(self, msp_id, *args, **kwargs):
        with msp_scope(tenant_model().objects.get(pk=msp_id)):
            return super().__call__(msp_id, *args, **kwargs)
