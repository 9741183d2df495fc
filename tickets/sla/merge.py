"""Client merge stage (opsmerge.registry.client_merge_steps): one SLA policy per client.

The target's own policy wins; without one, the first source's (in the order the user
listed them) moves to the target with the other rows; every other source's policy is
deleted through the merge's change log, so Undo restores it. After the merge the
target's open tickets (now including the sources') get their due times recomputed."""

from __future__ import annotations

from ..models import SlaPolicy


def merge_sla_policies(merger) -> None:
    rows = list(SlaPolicy.objects.filter(msp=merger.msp, client_id__in=merger.all_ids).values_list("pk", "client_id"))
    keep = merger.keeper(rows)
    if len(rows) > 1:
        merger.log.delete(SlaPolicy, "t.client_id = ANY(%s::bigint[]) AND t.id <> %s", [merger.all_ids, keep])


def merge_recompute(*, msp, merger) -> None:
    from ..services import _enqueue_after_commit
    from ..tasks import sla_recompute_task

    _enqueue_after_commit(sla_recompute_task, msp.pk, merger.target.pk)
