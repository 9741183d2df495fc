"""Signals from the apps below that move SLA clocks."""

from __future__ import annotations

import logging

log = logging.getLogger("opsmerge.tickets")


def calendar_changed(sender, *, msp, client, **kwargs) -> None:
    """A client's business hours, holidays or time zone changed (sent after commit):
    recompute its open tickets' due times in a worker."""
    from ..tasks import sla_recompute_task

    try:
        sla_recompute_task.delay(msp.pk, client.pk)
    except Exception:
        log.exception("SLA recompute of client %s could not be queued", client.pk)
