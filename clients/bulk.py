"""Bulk writes of the clients list (tags; the contract template is billing's). Set-based: a constant
number of queries whatever the selection size; one audit event per changed client.
Archive is clients.lifecycle.clients_archive."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models.functions import Lower

from accounts.permissions import Op, require
from opsmerge.models import AuditEvent
from opsmerge.request_context import current_request_id

from .models import Client, ClientTag
from .services import tags_get_or_create


def audit_client_events(*, msp, actor, action: str, rows, changes) -> None:
    """One audit event per (client id, name) of `rows`, in one INSERT."""
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    request_id = current_request_id()
    AuditEvent.objects.bulk_create([
        AuditEvent(msp=msp, actor_id=actor_id, actor_label=str(actor or ""), action=action, object_type="client",
                   object_id=str(pk), object_repr=name[:255], client_id=pk, client_name=name[:200],
                   changes=changes, request_id=request_id)
        for pk, name in rows
    ], batch_size=2000)


def open_clients(msp, client_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, name) of the not-archived clients among `client_ids`, by id."""
    ids = sorted({int(pk) for pk in client_ids})
    return list(Client.objects.filter(msp=msp, pk__in=ids).not_archived().order_by("pk").values_list("pk", "name"))


@transaction.atomic
def clients_tag_add(*, msp, client_ids: Iterable[int], names: Iterable[str], actor) -> int:
    """Add tags (created on the fly) to the clients; returns how many clients gained one."""
    require(actor, Op.BULK_EDIT)
    tags = tags_get_or_create(msp=msp, names=names)
    rows = open_clients(msp, client_ids)
    if not tags or not rows:
        return 0
    have = set(ClientTag.objects.filter(msp=msp, client_id__in=[pk for pk, _ in rows], tag__in=tags)
               .values_list("client_id", "tag_id"))
    new = [ClientTag(msp=msp, client_id=pk, tag=t) for pk, _ in rows for t in tags if (pk, t.pk) not in have]
    ClientTag.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    changed = {link.client_id for link in new}
    audit_client_events(msp=msp, actor=actor, action="client.tags_add", rows=[r for r in rows if r[0] in changed],
            changes={"tags_added": [t.name for t in tags]})
    return len(changed)


@transaction.atomic
def clients_tag_remove(*, msp, client_ids: Iterable[int], names: Iterable[str], actor) -> int:
    require(actor, Op.BULK_EDIT)
    wanted = {n.strip().lower() for n in names if n.strip()}
    rows = open_clients(msp, client_ids)
    doomed = list(ClientTag.objects.filter(msp=msp, client_id__in=[pk for pk, _ in rows])
                  .annotate(lname=Lower("tag__name")).filter(lname__in=wanted).select_related("tag"))
    ClientTag.objects.filter(msp=msp, pk__in=[link.pk for link in doomed]).delete()
    changed = {link.client_id for link in doomed}
    audit_client_events(msp=msp, actor=actor, action="client.tags_remove", rows=[r for r in rows if r[0] in changed],
            changes={"tags_removed": sorted({link.tag.name for link in doomed})})
    return len(changed)
