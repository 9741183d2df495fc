# ruff: noqa: S608 - SQL is built from model metadata (table/column names); values are always parameters
"""Merge duplicate clients (seeds 000, 001), with an exact Undo.

Flow: `client_merge_preview` (counts per kind and the conflicts to decide) →
`client_merge_start` (validates, records a ClientMerge, enqueues the Celery job on
commit) → `client_merge_execute` (the job: one transaction, all or nothing) →
optionally `client_merge_undo`.

Everything pointing at a source client moves to the target: every foreign key to
Client found in the model registry (clients.relations), so tickets, contracts,
invoices, assets, sites, contacts, documents, M365 tenants, business hours,
activity and whatever other apps add later. Rules for the conflicts:
- domains, tags and tech groups are unioned (one primary domain: the target's);
- what other apps need beyond moving is their merge step (opsmerge.registry.
  client_merge_steps): contacts with the same email become one, one primary contact
  (contacts/client_merge.py); one HQ site, renamed clashing sites (sites/client_merge.py);
- client-level business hours: the target's win when it has any; holidays union;
- custom fields and external ids are unioned, the target's non-empty values win;
- the fields the user picked come from the chosen source client.
Sources are archived (not deleted) with `merged_into` set; their URL redirects.

Every statement is set-based and logged (clients.changelog), so the job's query
count does not grow with the number of rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import Op, require
from opsmerge.audit import audit_record
from opsmerge.registry import MergeStep, client_merge_steps

from .changelog import ChangeLog, changes_undo
from .models import BusinessHours, Client, ClientDomain, ClientMerge
from .relations import movable_relations

log = logging.getLogger("opsmerge.merge")

# Fields the user may take from a source client instead of the target.
MERGEABLE_FIELDS = (
    "name", "industry", "time_zone", "priority_floor", "phone_country_code", "phone_number", "website",
    "street", "city", "postal_code", "state", "country", "notes", "account_manager", "psa_id",
)

# Relations whose rows carry a key that must stay unique per owner: rows of a
# source whose key the winner already has (or an earlier source row has) are
# dropped, kept in the merge log.
DEDUPE_KEYS = {
    "clients.clienttag.client": ("tag_id",),
    "clients.clienttechgroup.client": ("group_id",),
    "clients.holiday.client": ("site_id", "date"),
    "clients.businesshours.client": ("site_id", "weekday", "opens_at"),
    "contacts.contacttag.contact": ("tag_id",),
}
CLIENT_MAP = "clients"  # the name of the merger's source → target map


def _progress_key(merge_id: int) -> str:
    return f"clientmerge:{merge_id}:progress"


def merge_progress(merge: ClientMerge) -> dict:
    """{"done": n, "total": m, "label": "…"} of a running merge (from the cache)."""
    return cache.get(_progress_key(merge.pk)) or {"done": 0, "total": 0, "label": ""}


def _display(client: Client, name: str) -> str:
    value = getattr(client, name)
    return "" if value in (None, "") else str(value)


@dataclass
class MergePreview:
    target: Client
    sources: list[Client]
    counts: list[tuple[str, int]] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    differing_fields: list[dict] = field(default_factory=list)
    # filled by other apps' merge steps (their `preview`)
    duplicate_emails: list[tuple[str, list]] = field(default_factory=list)  # contacts: (email, contacts)
    primary_candidates: list = field(default_factory=list)  # contacts: the primary contacts
    site_renames: list[str] = field(default_factory=list)  # sites: names that get the source's name added

    @property
    def total(self) -> int:
        return sum(n for _label, n in self.counts)


def _validate_clients(*, msp, target: Client, sources: list[Client]) -> None:
    if not sources:
        raise ValidationError({"sources": "Pick at least one client to merge into the target."})
    if any(s.pk == target.pk for s in sources):
        raise ValidationError({"target": "The target cannot also be a source."})
    for c in [target, *sources]:
        if c.msp_id != msp.pk:
            raise ValidationError("Unknown client.")
        if c.merged_into_id:
            raise ValidationError(f"{c.name} was already merged into another client.")
    if target.is_archived:
        raise ValidationError({"target": f"{target.name} is archived: restore it or pick another target."})


def client_merge_preview(*, msp, target: Client, sources: list[Client]) -> MergePreview:
    """What a merge of `sources` into `target` would move, and what to decide."""
    _validate_clients(msp=msp, target=target, sources=sources)
    ids = [s.pk for s in sources]
    everyone = [target.pk, *ids]
    preview = MergePreview(target=target, sources=sources)
    for rel in movable_relations(Client):
        n = rel.model._default_manager.filter(msp=msp, **{f"{rel.field.name}__in": ids}).count()
        if n:
            preview.counts.append((rel.label, n))
    preview.domains = sorted(set(ClientDomain.objects.filter(msp=msp, client_id__in=everyone)
                                 .values_list("domain", flat=True)))
    from .models import ClientTag

    preview.tags = sorted(set(ClientTag.objects.filter(msp=msp, client_id__in=everyone)
                              .values_list("tag__name", flat=True)), key=str.lower)
    for name in MERGEABLE_FIELDS:
        values = {c.pk: _display(c, name) for c in [target, *sources]}
        if any(v and v != values[target.pk] for v in values.values()):
            preview.differing_fields.append({
                "name": name, "label": Client._meta.get_field(name).verbose_name.capitalize(),
                "options": [(c, values[c.pk]) for c in [target, *sources]],
            })
    for step in client_merge_steps:
        if step.preview:
            step.preview(preview=preview, msp=msp, target=target, sources=sources)
    return preview


def _clean_choices(*, msp, target: Client, sources: list[Client], choices: dict | None) -> dict:
    choices = dict(choices or {})
    everyone = {c.pk for c in [target, *sources]}
    fields = {}
    for name, client_id in (choices.get("fields") or {}).items():
        if name not in MERGEABLE_FIELDS:
            raise ValidationError({"fields": f"{name} cannot be chosen."})
        try:
            client_id = int(client_id)
        except (TypeError, ValueError):
            raise ValidationError({name: "Choose one of the clients being merged."}) from None
        if client_id not in everyone:
            raise ValidationError({name: "Choose one of the clients being merged."})
        if client_id != target.pk:
            fields[name] = client_id
    clean = {"fields": fields}
    for step in client_merge_steps:
        if step.clean_choices:
            clean.update(step.clean_choices(msp=msp, client_ids=everyone, choices=choices))
    return clean


@transaction.atomic
def client_merge_start(*, msp, target: Client, sources: list[Client], actor, choices: dict | None = None,
                       reason: str = "") -> ClientMerge:
    """Validate and queue a merge; the Celery job starts when this commits."""
    require(actor, Op.CLIENT_MERGE)
    preview = client_merge_preview(msp=msp, target=target, sources=sources)
    clean = _clean_choices(msp=msp, target=target, sources=sources, choices=choices)
    merge = ClientMerge.objects.create(
        msp=msp, target=target, target_name=target.name, source_ids=[s.pk for s in sources],
        source_names=[s.name for s in sources], choices={**clean, "reason": reason},
        preview=dict(preview.counts), created_by=actor if getattr(actor, "pk", None) else None,
    )
    from .tasks import client_merge_run

    transaction.on_commit(lambda: client_merge_run.delay(msp.pk, merge.pk))
    return merge


class Merger:
    """One merge's statements: every stage of opsmerge.registry.client_merge_steps in
    order, each a handful of set-based statements through the ChangeLog (`log`). The
    helpers below (map_ids, remap, keeper, one_flag) are what the steps build on;
    `state` carries what a step's `after` needs (e.g. the merged-away contacts)."""

    def __init__(self, *, msp, merge: ClientMerge, target: Client, sources: list[Client], actor):
        self.msp, self.merge, self.target, self.sources, self.actor = msp, merge, target, sources, actor
        self.source_ids = [s.pk for s in sources]
        self.all_ids = [target.pk, *self.source_ids]
        self.log = ChangeLog(msp_id=msp.pk, merge_id=merge.pk)
        self.now = timezone.now()
        self.state: dict = {}
        self.maps: dict[str, tuple[list[int], list[int]]] = {}

    def run(self) -> dict[str, int]:
        stages = [step for step in client_merge_steps if step.run]
        for i, step in enumerate(stages):
            cache.set(_progress_key(self.merge.pk), {"done": i, "total": len(stages), "label": step.label}, 3600)
            step.run(self)
        cache.set(_progress_key(self.merge.pk), {"done": len(stages), "total": len(stages), "label": "Done"}, 3600)
        return self.log.moved

    def after(self) -> None:
        for step in client_merge_steps:
            if step.after:
                step.after(msp=self.msp, merger=self)

    def map_ids(self, name: str, losers: list[int], winners: list[int]) -> None:
        """Remember a mapping loser id → winner id under `name` for remap(). It travels
        as two arrays (`unnest(losers, winners) AS m(l, w)` in the statements), not as
        a temporary table: a statement joining a table of the coordinator's session
        with sharded tables could not be sent to the MSP's one node (Citus)."""
        self.maps[name] = (list(losers), list(winners))

    def remap(self, rel, name: str) -> None:
        """Point `rel` rows from each mapped loser to its winner, dropping rows whose
        unique key the new owner already has."""
        losers, winners = self.maps[name]
        msp = self.msp.pk
        col = connection.ops.quote_name(rel.column)
        keys = DEDUPE_KEYS.get(rel.key)
        pairs = "unnest(%s::bigint[], %s::bigint[])"
        if keys:
            same = " AND ".join(f"o.{k} IS NOT DISTINCT FROM t.{k}" for k in keys)
            self.log.delete(rel.model, f"""
                t.{col} = ANY(%s::bigint[]) AND (
                  EXISTS (SELECT 1 FROM {rel.table} o JOIN {pairs} AS m(l, w) ON m.l = t.{col}
                          WHERE o.msp_id = %s AND o.{col} = m.w AND {same})
                  OR EXISTS (SELECT 1 FROM {rel.table} o JOIN {pairs} AS mo(l, w) ON mo.l = o.{col}
                             JOIN {pairs} AS m(l, w) ON m.l = t.{col}
                             WHERE o.msp_id = %s AND mo.w = m.w AND o.id < t.id AND {same}))""",
                [losers, losers, winners, msp, losers, winners, losers, winners, msp])
        self.log.update(rel.model, rel.column, f"""
            SELECT x.id, x.{col} AS old, m.w AS new FROM {rel.table} x JOIN {pairs} AS m(l, w) ON m.l = x.{col}
            WHERE x.msp_id = %s""", [losers, winners, msp])

    def keeper(self, rows: list[tuple[int, int]]) -> int | None:
        """The one row keeping a per-client flag: the target's, else the first
        source's (in the order the user listed them). rows: (id, client_id)."""
        order = {pk: i for i, pk in enumerate(self.all_ids)}
        rows = sorted(rows, key=lambda r: (order[r[1]], r[0]))
        return rows[0][0] if rows else None

    def one_flag(self, model, flag: str, keeper: int | None, extra: str = "") -> None:
        self.log.update(model, flag, f"""
            SELECT x.id, x.{flag} AS old, (x.id = %s) AS new FROM {model._meta.db_table} x
            WHERE x.msp_id = %s AND x.client_id = ANY(%s::bigint[]) {extra} AND (x.{flag} OR x.id = %s)""",
            [keeper or 0, self.msp.pk, self.all_ids, keeper or 0])

    # --- the clients app's own stages -----------------------------------------

    def primary_domain(self) -> None:
        rows = ClientDomain.objects.filter(msp=self.msp, client_id__in=self.all_ids, is_primary=True)
        self.one_flag(ClientDomain, "is_primary", self.keeper(list(rows.values_list("pk", "client_id"))))

    def business_hours(self) -> None:
        if BusinessHours.objects.filter(msp=self.msp, client=self.target, site__isnull=True).exists():
            self.log.delete(BusinessHours, "t.client_id = ANY(%s::bigint[]) AND t.site_id IS NULL", [self.source_ids])

    def move_everything(self) -> None:
        self.map_ids(CLIENT_MAP, self.source_ids, [self.target.pk] * len(self.source_ids))
        for rel in movable_relations(Client):
            self.remap(rel, CLIENT_MAP)

    def target_fields(self) -> None:
        chosen = self.merge.choices.get("fields") or {}
        for name, client_id in chosen.items():
            column = Client._meta.get_field(name).column
            self.log.update(Client, column, f"""
                SELECT x.id, x.{column} AS old, s.{column} AS new FROM clients_client x, clients_client s
                WHERE x.msp_id = %s AND x.id = %s AND s.id = %s AND s.msp_id = x.msp_id""",
                [self.msp.pk, self.target.pk, int(client_id)])
        for column in ("custom_fields", "external_ids"):
            merged: dict = {}
            for c in [*reversed(self.sources), self.target]:
                merged.update({k: v for k, v in (getattr(c, column) or {}).items() if v not in (None, "")})
            combined = {**(getattr(self.target, column) or {}), **merged}
            self.log.update(Client, column, f"""
                SELECT x.id, x.{column} AS old, %s::jsonb AS new FROM clients_client x
                WHERE x.msp_id = %s AND x.id = %s""", [_json(combined), self.msp.pk, self.target.pk])
        self.log.update(Client, "last_activity_at", """
            SELECT x.id, x.last_activity_at AS old,
                   (SELECT max(c.last_activity_at) FROM clients_client c
                    WHERE c.msp_id = %s AND c.id = ANY(%s::bigint[])) AS new
            FROM clients_client x WHERE x.msp_id = %s AND x.id = %s""",
            [self.msp.pk, self.all_ids, self.msp.pk, self.target.pk])

    def archive_sources(self) -> None:
        open_sources = "FROM clients_client x WHERE x.msp_id = %s AND x.id = ANY(%s::bigint[]) AND x.status <> 'archived'"
        scope = [self.msp.pk, self.source_ids]
        actor_id = getattr(self.actor, "pk", None)
        reason = f"Merged into {self.target.name}"[:500]
        # archived_at first: a check constraint wants it set whenever status is archived.
        for column, value, cast in (("archived_at", self.now, "timestamptz"), ("archived_by_id", actor_id, "bigint"),
                                    ("archive_reason", reason, "varchar"), ("pre_archive_status", None, None)):
            new = "x.status" if value is None and cast is None else f"%s::{cast}"
            self.log.update(Client, column, f"SELECT x.id, x.{column} AS old, {new} AS new {open_sources}",
                            ([value] if cast else []) + scope)
        self.log.update(Client, "status", f"SELECT x.id, x.status AS old, 'archived' AS new {open_sources}", scope)
        self.log.update(Client, "merged_into_id", """
            SELECT x.id, x.merged_into_id AS old, %s::bigint AS new FROM clients_client x
            WHERE x.msp_id = %s AND x.id = ANY(%s::bigint[])""", [self.target.pk, *scope])


def _json(value) -> str:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(value, cls=DjangoJSONEncoder)


def _lock_clients(*, msp, ids: list[int]) -> dict[int, Client]:
    """Lock every client of the merge in id order (two merges never deadlock)."""
    rows = {c.pk: c for c in Client.objects.select_for_update().filter(msp=msp, pk__in=ids).order_by("pk")}
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        raise ValidationError("A client of this merge no longer exists (it was deleted).")
    return rows


def client_merge_execute(*, msp, merge: ClientMerge) -> ClientMerge:
    """Run a queued merge: all or nothing. Safe to run twice (a finished merge is
    left alone). On failure the merge is marked failed with the reason and nothing
    else changed."""
    try:
        with transaction.atomic():
            merge = ClientMerge.objects.select_for_update().get(msp=msp, pk=merge.pk)
            if merge.status not in (ClientMerge.Status.QUEUED, ClientMerge.Status.RUNNING):
                return merge
            actor = merge.created_by
            locked = _lock_clients(msp=msp, ids=[merge.target_id, *merge.source_ids] if merge.target_id else [0])
            target = locked[merge.target_id]
            sources = [locked[pk] for pk in merge.source_ids]
            _validate_clients(msp=msp, target=target, sources=sources)
            merger = Merger(msp=msp, merge=merge, target=target, sources=sources, actor=actor)
            moved = merger.run()
            merge.status = ClientMerge.Status.DONE
            merge.moved = moved
            merge.finished_at = timezone.now()
            merge.save(update_fields=["status", "moved", "finished_at"])
            audit_record(msp=msp, actor=actor, action="client.merge", obj=merge, client=target,
                         object_repr=f"Merged {', '.join(merge.source_names)} into {target.name}",
                         changes={"merge_id": merge.pk, "sources": merge.source_ids, "moved": moved,
                                  "choices": merge.choices},
                         reason=merge.choices.get("reason", ""))
            for source in sources:
                audit_record(msp=msp, actor=actor, action="client.merged_into", obj=source,
                             changes={"merged_into_id": [None, target.pk], "merge_id": merge.pk})
            merger.after()
        return merge
    except ValidationError as exc:
        return _fail(msp=msp, merge=merge, message=" ".join(exc.messages))
    except Exception as exc:
        log.exception("merge %s failed", merge.pk)
        return _fail(msp=msp, merge=merge, message=f"The merge failed and changed nothing: {exc}")


def _fail(*, msp, merge: ClientMerge, message: str) -> ClientMerge:
    ClientMerge.objects.filter(msp=msp, pk=merge.pk).filter(
        Q(status=ClientMerge.Status.QUEUED) | Q(status=ClientMerge.Status.RUNNING)
    ).update(status=ClientMerge.Status.FAILED, error=message, finished_at=timezone.now())
    cache.delete(_progress_key(merge.pk))
    merge.refresh_from_db()
    return merge


def client_merge_can_undo(merge: ClientMerge) -> bool:
    return merge.status == ClientMerge.Status.DONE and merge.target_id is not None


@transaction.atomic
def client_merge_undo(*, msp, merge: ClientMerge, actor) -> ClientMerge:
    """Put every row the merge changed back as it was, provided those rows still
    hold what the merge gave them (else nothing changes and the reason is given).
    Rows created after the merge stay where they are."""
    require(actor, Op.CLIENT_MERGE)
    merge = ClientMerge.objects.select_for_update().filter(msp=msp, pk=merge.pk).first()
    if merge is None or not client_merge_can_undo(merge):
        raise ValidationError("This merge cannot be undone (it is not a finished merge, or was undone already).")
    _lock_clients(msp=msp, ids=[merge.target_id, *merge.source_ids])
    restored = changes_undo(msp_id=msp.pk, merge_id=merge.pk)
    merge.status = ClientMerge.Status.UNDONE
    merge.undone_at = timezone.now()
    merge.undone_by = actor if getattr(actor, "pk", None) else None  # an API key is no User row
    merge.save(update_fields=["status", "undone_at", "undone_by"])
    target = Client.objects.get(msp=msp, pk=merge.target_id)
    audit_record(msp=msp, actor=actor, action="client.merge_undo", obj=merge, client=target,
                 object_repr=f"Undid merge of {', '.join(merge.source_names)} into {target.name}",
                 changes={"merge_id": merge.pk, "restored": restored})
    for source in Client.objects.filter(msp=msp, pk__in=merge.source_ids):
        audit_record(msp=msp, actor=actor, action="client.unmerged", obj=source,
                     changes={"merged_into_id": [merge.target_id, None], "merge_id": merge.pk})
    return merge


OWN_STEPS = (
    MergeStep("primary_domain", "Primary domain", run=Merger.primary_domain),
    MergeStep("business_hours", "Business hours", run=Merger.business_hours),
    MergeStep("move", "Moving records", run=Merger.move_everything),
    MergeStep("target_fields", "Client details", run=Merger.target_fields),
    MergeStep("archive_sources", "Archiving the merged clients", run=Merger.archive_sources),
)


def register_own_merge_steps() -> None:
    for step in OWN_STEPS:
        client_merge_steps.register(step)
