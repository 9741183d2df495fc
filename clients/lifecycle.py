"""Archive, restore and permanent delete of clients (seed 003, two stages).

Stage 1, archive, is reversible and idempotent: the client disappears from default
lists, pickers and sync candidates and receives nothing new
(`clients.services.client_assert_open`). Stage 2, permanent delete, is Super Admin
only, one client at a time, for an archived client that passes every gate; the
typed name and every gate are re-checked inside the delete transaction with the
client row locked, so neither a rename nor a concurrent merge can slip in between.
The rule chosen where seeds 000 and 003 differ is in docs/lifecycle.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.permissions import Op, require
from opsmerge.audit import audit_record, diff, snapshot
from opsmerge.models import AuditEvent
from opsmerge.registry import client_delete_gates
from opsmerge.request_context import current_request_id

from .models import Client
from .relations import relations_to
from .signals import client_archive_changed

ARCHIVE_FIELDS = ["status", "pre_archive_status", "archived_at", "archived_by", "archive_reason"]

# Relations the delete impact does not list: the activity log survives the delete
# (no database constraint, keeps id and name), merge history keeps its own copy of
# the names, and duplicate suggestions are recomputed.
_IMPACT_HIDDEN = frozenset({
    "opsmerge.auditevent.client",
    "clients.clientmerge.target",
    "clients.client.merged_into",
    "clients.duplicatecandidate.client_a",
    "clients.duplicatecandidate.client_b",
    "clients.duplicatedismissal.client_a",
    "clients.duplicatedismissal.client_b",
})
_TENANT_KEY = "m365.m365tenant.client"


def _locked(*, msp, pk) -> Client:
    client = Client.objects.select_for_update().filter(msp=msp, pk=pk).first()
    if client is None:
        raise ValidationError("This client no longer exists.")
    return client


def _archive_values(client: Client, *, actor, reason: str, now) -> dict:
    return {
        "pre_archive_status": client.status,
        "status": Client.Status.ARCHIVED,
        "archived_at": now,
        "archived_by": actor if getattr(actor, "pk", None) else None,
        "archive_reason": (reason or "").strip()[:500],
    }


def _notify(msp, client: Client, actor, archived: bool) -> None:
    transaction.on_commit(lambda: client_archive_changed.send(
        sender=Client, msp=msp, client=client, archived=archived, actor=actor))


@transaction.atomic
def client_archive(*, msp, client: Client, actor, reason: str = "") -> Client:
    """Archive `client` (Admin, MSP Admin, Compliance Admin). Archiving an archived
    client is a no-op and records nothing."""
    require(actor, Op.CLIENT_ARCHIVE)
    locked = _locked(msp=msp, pk=client.pk)
    if locked.is_archived:
        return locked
    before = snapshot(locked, ARCHIVE_FIELDS)
    for name, value in _archive_values(locked, actor=actor, reason=reason, now=timezone.now()).items():
        setattr(locked, name, value)
    locked.save(update_fields=[*ARCHIVE_FIELDS, "updated_at"])
    audit_record(msp=msp, actor=actor, action="client.archive", obj=locked,
                 changes=diff(before, snapshot(locked, ARCHIVE_FIELDS)), reason=locked.archive_reason)
    _notify(msp, locked, actor, True)
    return locked


@transaction.atomic
def clients_archive(*, msp, client_ids, actor, reason: str = "") -> int:
    """Bulk archive (the clients list's bulk action): archives the not-yet-archived
    clients among `client_ids` of `msp` and returns how many it archived. Ids of
    other MSPs and unknown ids are ignored. Set-based: a constant number of queries
    whatever the selection size."""
    require(actor, Op.CLIENT_ARCHIVE)
    ids = sorted({int(pk) for pk in client_ids})
    rows = list(
        Client.objects.select_for_update().filter(msp=msp, pk__in=ids).not_archived()
        .order_by("pk").values("pk", "name", "status")
    )
    if not rows:
        return 0
    now = timezone.now()
    reason = (reason or "").strip()[:500]
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    for status in {row["status"] for row in rows}:
        Client.objects.filter(msp=msp, pk__in=[r["pk"] for r in rows if r["status"] == status]).update(
            pre_archive_status=status, status=Client.Status.ARCHIVED, archived_at=now, archived_by_id=actor_id,
            archive_reason=reason, updated_at=now,
        )
    request_id = current_request_id()
    AuditEvent.objects.bulk_create([
        AuditEvent(
            msp=msp, actor_id=actor_id, actor_label=str(actor), action="client.archive", object_type="client",
            object_id=str(row["pk"]), object_repr=row["name"][:255], client_id=row["pk"],
            client_name=row["name"][:200], reason=reason, request_id=request_id,
            changes={"status": [row["status"], "archived"], "archived_at": [None, now.isoformat()],
                     "archived_by_id": [None, actor_id], "archive_reason": ["", reason],
                     "pre_archive_status": ["", row["status"]]},
        )
        for row in rows
    ])
    transaction.on_commit(lambda: [
        client_archive_changed.send(sender=Client, msp=msp, client=c, archived=True, actor=actor)
        for c in Client.objects.filter(msp=msp, pk__in=[r["pk"] for r in rows])
    ])
    return len(rows)


@transaction.atomic
def client_restore(*, msp, client: Client, actor) -> Client:
    """Restore an archived client to the status it had before (symmetric with
    archive). A client that was merged into another is restored by undoing the
    merge, not here: it is an empty shell whose URL redirects to the target."""
    require(actor, Op.CLIENT_ARCHIVE)
    locked = _locked(msp=msp, pk=client.pk)
    if not locked.is_archived:
        return locked
    if locked.merged_into_id:
        raise ValidationError(
            f"{locked.name} was merged into {locked.merged_into.name}: undo the merge to get it back."
        )
    before = snapshot(locked, ARCHIVE_FIELDS)
    locked.status = locked.pre_archive_status or Client.Status.ACTIVE
    locked.pre_archive_status = ""
    locked.archived_at = None
    locked.archived_by = None
    locked.archive_reason = ""
    locked.save(update_fields=[*ARCHIVE_FIELDS, "updated_at"])
    audit_record(msp=msp, actor=actor, action="client.restore", obj=locked,
                 changes=diff(before, snapshot(locked, ARCHIVE_FIELDS)))
    _notify(msp, locked, actor, False)
    return locked


@dataclass
class ImpactLine:
    key: str
    label: str
    count: int


@dataclass
class DeleteImpact:
    """What a permanent delete would do, and what stops it."""

    client: Client
    unassigned: list[ImpactLine] = field(default_factory=list)
    deleted: list[ImpactLine] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.blockers

    def as_dict(self) -> dict:
        return {
            "unassigned": {line.label: line.count for line in self.unassigned},
            "deleted": {line.label: line.count for line in self.deleted},
        }


def _blockers(*, msp, client: Client) -> list[str]:
    """What stops the permanent delete: the client's own state, then every gate
    another app registered (opsmerge.registry.client_delete_gates: outstanding
    invoices, connected Microsoft 365 tenants, contact email clashes …)."""
    blockers = []
    if not client.is_archived:
        blockers.append("The client is not archived: archive it first (stage 1).")
    if client.is_compliance_tenant:
        blockers.append("The client is a compliance tenant: archive the linked organisation first.")
    if client.merged_into_id:
        blockers.append("The client was merged into another client: its link redirects there and the merge "
                        "can still be undone.")
    blockers += [message for gate in client_delete_gates if (message := gate.check(msp=msp, client=client))]
    return blockers


def client_delete_impact(*, msp, client: Client) -> DeleteImpact:
    """Counts of what becomes unassigned (kept, loses its client link) and what is
    deleted with the client, plus the gates that currently block the delete."""
    impact = DeleteImpact(client=client)
    for rel in relations_to(Client):
        if rel.key in _IMPACT_HIDDEN:
            continue
        count = rel.model._default_manager.filter(msp=msp, **{rel.field.name: client}).count()
        line = ImpactLine(rel.key, rel.label, count)
        if rel.field.null and rel.field.remote_field.on_delete is not models.CASCADE:
            impact.unassigned.append(line)
        else:
            impact.deleted.append(line)
    filled = sum(1 for value in (client.custom_fields or {}).values() if value not in (None, ""))
    impact.deleted.append(ImpactLine("clients.client.custom_fields", "custom field values", filled))
    impact.blockers = _blockers(msp=msp, client=client)
    return impact


def client_delete_permanently(*, msp, client_id: int, actor, typed_name: str) -> dict:
    """Stage 2 (Super Admin). Locks the client row, re-checks the typed name
    (exact, case-sensitive) and every gate, unassigns what is kept, deletes the
    rest and the client. The audit event has no database link to the client, so it
    survives with the client's id and name. Returns the impact that was applied."""
    require(actor, Op.CLIENT_DELETE)
    with transaction.atomic():
        client = _locked(msp=msp, pk=client_id)
        if typed_name != client.name:
            raise ValidationError({"typed_name": "Type the client's exact name (case-sensitive) to confirm."})
        impact = client_delete_impact(msp=msp, client=client)
        if impact.blockers:
            raise ValidationError({"__all__": impact.blockers})
        for rel in relations_to(Client):
            if rel.key in _IMPACT_HIDDEN:
                continue
            rows = rel.model._default_manager.filter(msp=msp, **{rel.field.name: client})
            if rel.key == _TENANT_KEY:
                rows.delete()  # only pending / disconnected tenants remain (gate above)
            elif rel.field.null and rel.field.remote_field.on_delete is not models.CASCADE:
                extra = {"is_primary": False} if rel.key == "contacts.contact.client" else {}
                rows.update(**{rel.field.name: None}, **extra)
        audit_record(msp=msp, actor=actor, action="client.delete", obj=client,
                     changes={**snapshot(client), "impact": impact.as_dict()},
                     reason=f"Permanently deleted by {actor}.")
        logo, storage = client.logo.name, client.logo.storage
        client.delete()
        if logo:
            transaction.on_commit(lambda: storage.delete(logo))
    return impact.as_dict()
