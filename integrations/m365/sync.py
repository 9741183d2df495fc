"""The sync engine: one tenant, users → contacts, Entra devices → assets, Intune
managed devices enriching assets. Every page is applied in its own transaction with
set-based writes (a handful of queries per 999 objects), so a killed worker loses at
most the page in flight and a re-run converges: objects are matched by (tenant,
Graph id) first, so nothing is duplicated. Delta links are stored only after a
resource was read to the end; "not seen" objects are deactivated only after a full
listing finished without error.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from datetime import UTC, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from assets.models import Asset
from contacts.models import Contact
from opsmerge.audit import audit_record
from opsmerge.bulk_sql import insert_rows, update_rows

from . import conf
from .errors import Kind, M365Error
from .graph import GraphClient
from .health import tenant_health_refresh
from .locks import TenantLock
from .mapping import (
    ASSET_LINK,
    ASSET_OWNED,
    CONTACT_LINK,
    CONTACT_OWNED,
    DEVICE_SELECT,
    INTUNE_OWNED,
    MANAGED_SELECT,
    REMOVAL_REASONS,
    USER_SELECT,
    ZERO_GUID,
    clip,
    device_fields,
    device_kind,
    is_guest,
    is_partial_user,
    is_service_account,
    managed_fields,
    parse_time,
    user_fields,
)
from .models import M365Tenant, SyncRun
from .removals import deactivate_ids, deactivate_unseen

log = logging.getLogger("opsmerge.m365")

PHASE_WEIGHTS = {"users": 50, "devices": 30, "intune": 20}
# Kinds after which the tenant needs its admin to run Connect again (schedule paused).
RECONNECT_KINDS = {Kind.RECONNECT, Kind.TENANT_NOT_FOUND, Kind.TOKEN, Kind.PERMISSION}
# The client was merged away or archived while the run was going: stopped, not failed.
STOPPED_KINDS = {Kind.CLIENT_MOVED, Kind.CLIENT_ARCHIVED}


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class GraphSource:
    """Where a sync reads a tenant's objects: Graph (this) or CIPP (cipp.CippSource).
    Each listing yields pages (lists of Graph-shaped objects); the engine maps and
    writes them the same way whatever the source. Only Graph has delta queries, an
    Entra device list and tenant health."""

    name = M365Tenant.Source.GRAPH
    delta = True
    entra_devices = True

    def __init__(self, graph: GraphClient):
        self.graph = graph

    @property
    def requests(self) -> int:
        return self.graph.requests

    @property
    def pages(self) -> int:
        return self.graph.pages

    def _listing(self, path: str, params: dict):
        for body in self.graph.pages_of(path, params):
            yield body.get("value") or []

    def users(self):
        return self._listing("users", {"$select": USER_SELECT, "$top": 999})

    def devices(self):
        return self._listing("devices", {"$select": DEVICE_SELECT, "$top": 999})

    def managed_devices(self, since=None):
        params = {"$select": MANAGED_SELECT, "$top": 999}
        if since is not None:
            params["$filter"] = f"lastSyncDateTime ge {since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        return self._listing("deviceManagement/managedDevices", params)


class TenantSync:
    def __init__(self, *, msp, tenant: M365Tenant, run: SyncRun, graph: GraphClient | None = None, source=None):
        self.msp, self.tenant, self.run = msp, tenant, run
        self.client = tenant.client
        if source is None and tenant.source == M365Tenant.Source.CIPP:
            from .cipp import source_for

            source = source_for(msp=msp, tenant=tenant)
        self.graph = None if source is not None else (graph or GraphClient(tenant.tenant_id))
        self.source = source or GraphSource(self.graph)
        self.now = timezone.now()
        self.counts = {"contacts": Counter(), "assets": Counter()}
        self.notes: list[str] = []
        self.lock: TenantLock | None = None
        self.phase = ""
        self.phase_base = 0
        self.expected = _expected_totals(msp, tenant)
        self._upn_map: dict[str, int] = {}
        self._upns_loaded = False
        self._intune_rows: tuple[dict, dict] | None = None
        self._intune_complete = True
        self._owner_misses: set[str] = set()

    # -- progress --------------------------------------------------------------
    def _progress(self, seen: int = 0) -> None:
        weight = PHASE_WEIGHTS.get(self.phase, 0)
        expected = self.expected.get(self.phase) or 0
        within = min(0.95, seen / expected) if expected else 0.5
        progress = min(99, int(self.phase_base + weight * within))
        SyncRun.objects.filter(msp=self.msp, pk=self.run.pk).update(
            phase=self.phase, progress=progress, pages=self.source.pages, requests=self.source.requests,
            counts=self._counts_json(),
        )
        if self.lock is not None:
            self.lock.refresh()

    def _counts_json(self) -> dict:
        return {kind: dict(counter) for kind, counter in self.counts.items()}

    def _enter(self, phase: str) -> None:
        if self.phase:
            self.phase_base += PHASE_WEIGHTS.get(self.phase, 0)
        self.phase = phase
        self._progress()

    # -- the run -----------------------------------------------------------------------
    def execute(self) -> None:
        tenant = self.tenant
        if tenant.sync_users:
            self._enter("users")
            self._resource("users", USER_SELECT, self.apply_users, self._unseen_contacts,
                           link_field="users_delta_link")
        if tenant.sync_devices and not self.source.entra_devices:
            self._enter("intune")  # CIPP: Intune's managed devices are the device list
            self._intune()
        elif tenant.sync_devices:
            self._enter("devices")
            self._resource("devices", DEVICE_SELECT, self.apply_devices, self._unseen_assets,
                           link_field="devices_delta_link")
            if tenant.sync_intune:
                self._enter("intune")
                self._intune()

    def _resource(self, resource: str, select: str, apply, unseen, *, link_field: str) -> None:
        link = "" if self.run.full or not self.source.delta else getattr(self.tenant, link_field)
        if link:
            try:
                self._save_link(link_field, self._read_delta(link, apply))
                return
            except M365Error as exc:
                if exc.kind != Kind.DELTA_EXPIRED:
                    raise
                self.notes.append(f"{resource}: change tracking expired ({exc.code}); full resync")
        # Bookmark "now" first, then list everything: changes made while listing are
        # replayed by the next delta, and replays are applied idempotently.
        latest = {}
        if self.source.delta:
            latest = self.graph.get(self.graph.url(f"{resource}/delta"), {"$select": select, "$deltatoken": "latest"})
        seen: set[str] = set()
        for values in getattr(self.source, resource)():
            seen.update(obj["id"] for obj in values)
            apply(values)
            self._progress(len(seen))
        with transaction.atomic():
            self._hold_client()
            unseen(seen)
        self._save_link(link_field, latest.get("@odata.deltaLink", ""))

    def _read_delta(self, link: str, apply) -> str:
        seen = 0
        delta_link = ""
        for body in self.graph.pages_of(link):
            values = body.get("value") or []
            seen += len(values)
            if apply == self.apply_users:
                values = self._complete_unknown_users(values)
            apply(values)
            self._progress(seen)
            delta_link = body.get("@odata.deltaLink", delta_link)
        return delta_link

    def _save_link(self, field: str, link: str) -> None:
        setattr(self.tenant, field, link)
        M365Tenant.objects.filter(msp=self.msp, pk=self.tenant.pk).update(**{field: link})

    # -- users → contacts ------------------------------------------------------------------
    def _complete_unknown_users(self, objs: list[dict]) -> list[dict]:
        """Delta objects may be partial ({id, accountEnabled}, {id, department}) for any
        user, including ones OpsMerge skipped (guests, nameless mailboxes) or never held.
        Whether such a user becomes a contact cannot be judged from a partial object,
        so each one not held yet is read whole (GET /users/{id}); gone ones are dropped."""
        partial = [o["id"] for o in objs if "@removed" not in o and is_partial_user(o)]
        if not partial:
            return objs
        held = set(Contact.objects.filter(msp=self.msp, m365_tenant=self.tenant, m365_object_id__in=partial)
                   .values_list("m365_object_id", flat=True))
        whole: dict[str, dict | None] = {}
        for oid in partial:
            if oid in held:
                continue
            try:
                whole[oid] = self.graph.get(self.graph.url(f"users/{oid}"), {"$select": USER_SELECT})
            except M365Error as exc:
                if exc.status != 404:
                    raise
                whole[oid] = None
            self.counts["contacts"]["read_whole"] += 1
        out = []
        for obj in objs:
            if obj.get("id") in whole:
                obj = whole[obj["id"]]
                if obj is None:
                    continue
            out.append(obj)
        return out

    def _wanted_user(self, obj: dict) -> bool:
        t = self.tenant
        if not t.include_guests and is_guest(obj):
            return False
        if not t.include_service_accounts and is_service_account(obj):
            return False
        return t.include_disabled or obj.get("accountEnabled") is not False

    def _hold_client(self) -> None:
        """Inside a page's transaction: key-share lock the client row and check the
        tenant still belongs to it and it is open. A merge or an archive locks the client
        FOR UPDATE, so it waits for this page to commit (and then moves or keeps its rows);
        a page that starts after one sees it and stops the run instead of writing onto
        the archived source client."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.status, t.client_id FROM clients_client c JOIN m365_m365tenant t "
                "ON t.msp_id = c.msp_id AND t.id = %s WHERE c.msp_id = %s AND c.id = %s FOR KEY SHARE OF c",
                [self.tenant.pk, self.msp.pk, self.client.pk])
            row = cursor.fetchone()
        if row is None or row[1] != self.client.pk:
            raise M365Error(Kind.CLIENT_MOVED, "client_merged")
        if row[0] == "archived":
            raise M365Error(Kind.CLIENT_ARCHIVED, "client_archived")

    @transaction.atomic
    def apply_users(self, objs: list[dict]) -> None:
        self._hold_client()
        counts = self.counts["contacts"]
        removed = {}
        live = []
        for obj in objs:
            if "@removed" in obj:
                reason = REMOVAL_REASONS.get((obj["@removed"] or {}).get("reason"), "deleted")
                removed.setdefault(reason, []).append(obj["id"])
            else:
                live.append(obj)
        for reason, ids in removed.items():
            counts["deactivated"] += deactivate_ids(
                Contact, msp=self.msp, tenant=self.tenant, ids=ids, id_field="m365_object_id", reason=reason,
                now=self.now, at_field="m365_removed_at", reason_field="m365_removed_reason")
        if not live:
            return
        counts["seen"] += len(live)
        fields = ("id", *CONTACT_LINK, *CONTACT_OWNED)
        existing = {row["m365_object_id"]: row for row in Contact.objects.filter(
            msp=self.msp, m365_tenant=self.tenant, m365_object_id__in=[o["id"] for o in live])
            .exclude(m365_object_id="").values(*fields)}  # the exclude lets PostgreSQL use the partial unique index
        candidates = set()
        for obj in live:
            if obj["id"] not in existing:
                for key in ("mail", "userPrincipalName"):
                    if obj.get(key):
                        candidates.add(obj[key].lower())
        # Every alive contact of the client holding one of these emails: unlinked ones
        # are matched (dedupe step 2), linked ones block reusing the email.
        by_email: dict[str, dict] = {}
        if candidates:
            for row in (Contact.objects.filter(msp=self.msp, client=self.client, deleted_at__isnull=True)
                        .annotate(email_ci=Lower("email")).filter(email_ci__in=candidates)
                        .values("email_ci", *fields)):
                by_email[row.pop("email_ci")] = row
        taken = {email: row["id"] for email, row in by_email.items()}
        creates, updates = [], []
        for obj in live:
            current = existing.get(obj["id"])
            if current is None:
                if not self._wanted_user(obj):
                    counts["skipped"] += 1
                    continue
                match = next((by_email[k.lower()] for k in (obj.get("mail"), obj.get("userPrincipalName"))
                              if k and k.lower() in by_email and not by_email[k.lower()]["m365_object_id"]), None)
                if match is not None:
                    match.update(m365_tenant_id=self.tenant.pk, m365_object_id=obj["id"])
                    self._merge(match, user_fields(obj, match, self.now), taken)
                    updates.append(match)
                    existing[obj["id"]] = match
                    counts["linked"] += 1
                    continue
                values = user_fields(obj, None, self.now)
                if values.get("email") and values["email"] in taken:
                    values["email"] = ""  # another contact of the client already has it
                    counts["email_conflicts"] += 1
                if values.get("email"):
                    taken[values["email"]] = 0
                creates.append({"msp_id": self.msp.pk, "client_id": self.client.pk, "source": Contact.Source.M365,
                                "m365_tenant_id": self.tenant.pk, "m365_object_id": obj["id"], **values})
                counts["created"] += 1
            else:
                changed = self._merge(current, user_fields(obj, current, self.now), taken)
                if changed:
                    updates.append(current)
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        insert_rows(Contact, creates)
        update_rows(Contact, _by_id(updates), (*CONTACT_LINK, *CONTACT_OWNED), msp_id=self.msp.pk)

    @staticmethod
    def _merge(row: dict, values: dict, taken: dict) -> bool:
        """Apply M365 values to a stored row; True when anything changed. An email
        already used by another contact of the client is not taken over."""
        email = values.get("email")
        if email and taken.get(email, row["id"]) != row["id"]:
            values.pop("email")
        changed = False
        for key, value in values.items():
            if row.get(key) != value:
                row[key] = value
                changed = True
        if row.get("email"):
            taken[row["email"]] = row["id"]
        return changed

    def _unseen_contacts(self, seen: set[str]) -> None:
        self.counts["contacts"]["deactivated"] += deactivate_unseen(
            Contact, msp=self.msp, tenant=self.tenant, seen=seen, id_field="m365_object_id",
            reason="not_in_tenant", now=self.now, at_field="m365_removed_at", reason_field="m365_removed_reason")

    # -- Entra devices → assets ---------------------------------------------------------------
    @transaction.atomic
    def apply_devices(self, objs: list[dict]) -> None:
        self._hold_client()
        counts = self.counts["assets"]
        removed = [o["id"] for o in objs if "@removed" in o]
        if removed:
            counts["deactivated"] += deactivate_ids(
                Asset, msp=self.msp, tenant=self.tenant, ids=removed, id_field="m365_object_id",
                reason="deleted", now=self.now, at_field="removed_at", reason_field="removed_reason")
        live = [o for o in objs if "@removed" not in o]
        if not live:
            return
        counts["seen"] += len(live)
        fields = ("id", *ASSET_LINK, *ASSET_OWNED)
        existing = {row["m365_object_id"]: row for row in Asset.objects.filter(
            msp=self.msp, m365_tenant=self.tenant, m365_object_id__in=[o["id"] for o in live])
            .exclude(m365_object_id="").values(*fields)}
        device_ids = [o["deviceId"] for o in live if o["id"] not in existing and o.get("deviceId")]
        unlinked = {}
        if device_ids:
            unlinked = {row["m365_device_id"]: row for row in Asset.objects.filter(
                msp=self.msp, client=self.client, m365_object_id="", m365_device_id__in=device_ids).values(*fields)}
        creates, updates = [], []
        for obj in live:
            current = existing.get(obj["id"])
            if current is None and obj.get("deviceId") in unlinked:
                current = unlinked.pop(obj["deviceId"])
                current.update(m365_tenant_id=self.tenant.pk, m365_object_id=obj["id"])
                current.update(device_fields(obj, current, self.now))
                updates.append(current)
                existing[obj["id"]] = current
                counts["linked"] += 1
            elif current is None:
                values = device_fields(obj, None, self.now)
                values.setdefault("name", clip(obj.get("deviceId") or obj["id"], 200))
                creates.append({"msp_id": self.msp.pk, "client_id": self.client.pk, "source": Asset.Source.M365,
                                "kind": device_kind(obj), "m365_tenant_id": self.tenant.pk,
                                "m365_object_id": obj["id"], **values})
                counts["created"] += 1
            else:
                values = device_fields(obj, current, self.now)
                changed = {k: v for k, v in values.items() if current.get(k) != v}
                if changed:
                    current.update(changed)
                    updates.append(current)
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        insert_rows(Asset, creates)
        update_rows(Asset, _by_id(updates), (*ASSET_LINK, *ASSET_OWNED), msp_id=self.msp.pk)

    def _unseen_assets(self, seen: set[str]) -> None:
        self.counts["assets"]["deactivated"] += deactivate_unseen(
            Asset, msp=self.msp, tenant=self.tenant, seen=seen, id_field="m365_object_id",
            reason="not_in_tenant", now=self.now, at_field="removed_at", reason_field="removed_reason")

    # -- Intune managed devices: enrichment -----------------------------------------------------
    # managedDevices has no v1.0 delta. A complete listing runs on full syncs and when the last
    # one began over M365_INTUNE_FULL_EVERY_HOURS ago; in between, a sync asks only for the
    # devices that checked in (lastSyncDateTime) since the last listing began, less an overlap.
    def _intune_since(self, started):
        """None for a complete listing, else the lastSyncDateTime to ask from."""
        tenant = self.tenant
        if self.run.full or not self.source.delta or tenant.intune_listed_at is None or tenant.intune_full_listed_at is None:
            return None
        if started - tenant.intune_full_listed_at >= timedelta(hours=conf.intune_full_every_hours()):
            return None
        return tenant.intune_listed_at - timedelta(minutes=conf.intune_overlap_minutes())

    def _intune(self) -> None:
        started = timezone.now()
        since = self._intune_since(started)
        refused = ""
        try:
            try:
                seen = self._list_managed(since)
            except M365Error as exc:
                if since is None or exc.status != 400:
                    raise
                refused, since = exc.code, None  # a tenant that refuses the filter: list everything
                seen = self._list_managed(None)
        except M365Error as exc:
            if exc.status not in (400, 403) or self.source.name != M365Tenant.Source.GRAPH:
                raise
            self.notes.append(M365Error(Kind.INTUNE_UNAVAILABLE, exc.code).friendly + f" ({exc.code})")
            if self.tenant.intune_available is not False:
                M365Tenant.objects.filter(msp=self.msp, pk=self.tenant.pk).update(intune_available=False)
            return
        updates = {"intune_available": True, "intune_listed_at": started}
        if since is not None:
            self.notes.append(f"Intune: {len(seen)} changed devices since {since:%Y-%m-%d %H:%M} UTC "
                              f"(complete listing every {conf.intune_full_every_hours():g} h)")
        else:
            updates["intune_full_listed_at"] = started
            if refused:
                self.notes.append(f"Intune: the changed-devices filter was refused ({refused}); listed every device")
            elif not self.run.full:
                self.notes.append(f"Intune: complete listing, {len(seen)} devices")
            with transaction.atomic():
                self._hold_client()
                self._intune_gone(seen)
        M365Tenant.objects.filter(msp=self.msp, pk=self.tenant.pk).update(**updates)
        for key, value in updates.items():
            setattr(self.tenant, key, value)

    def _list_managed(self, since) -> set[str]:
        """Read managedDevices (every one, or those synced since `since`) and apply each page."""
        self._intune_complete = since is None
        seen: set[str] = set()
        for values in self.source.managed_devices(since):
            seen.update(o["id"] for o in values)
            self.apply_managed(values)
            self._progress(len(seen))
        return seen

    def _intune_gone(self, seen: set[str]) -> None:
        """After a complete listing: Intune-only assets that left Intune become inactive,
        and Entra assets whose Intune record is gone stop claiming it (intune_id cleared)."""
        self.counts["assets"]["deactivated"] += deactivate_unseen(
            Asset, msp=self.msp, tenant=self.tenant, seen=seen, id_field="intune_id", reason="not_in_intune",
            now=self.now, at_field="removed_at", reason_field="removed_reason", only_unlinked=True)
        by_intune, _ = self._intune_index([])
        stale = [row for key, row in by_intune.items()
                 if key not in seen and row["intune_id"] == key and row["m365_object_id"]]
        for row in stale:
            row["intune_id"] = ""
        if stale:
            self.counts["assets"]["intune_cleared"] += update_rows(
                Asset, _by_id(stale), ("intune_id",), msp_id=self.msp.pk)

    @transaction.atomic
    def apply_managed(self, objs: list[dict]) -> None:
        counts = self.counts["assets"]
        if not objs:
            return
        self._hold_client()
        counts["intune_seen"] += len(objs)
        by_intune, by_device = self._intune_index(objs)
        unmatched = [o["serialNumber"] for o in objs if o.get("serialNumber") and o["id"] not in by_intune
                     and by_device.get(o.get("azureADDeviceId") or "\0") is None]
        by_serial = {r["serial_number"]: r for r in Asset.objects.filter(
            msp=self.msp, client=self.client, intune_id="", m365_object_id="", serial_number__in=unmatched
        ).values(*self.INTUNE_FIELDS)} if unmatched else {}
        owners = self._owners({(o.get("userPrincipalName") or "").lower() for o in objs} - {""})
        creates, updates = [], []
        for obj in objs:
            current = (by_intune.get(obj["id"]) or by_device.get(obj.get("azureADDeviceId"))
                       or by_serial.get(obj.get("serialNumber") or "\0"))
            owner = owners.get((obj.get("userPrincipalName") or "").lower())
            if current is None:
                values = managed_fields(obj, None, owner)
                values.pop("last_seen_at", None)
                creates.append({
                    "msp_id": self.msp.pk, "client_id": self.client.pk, "source": Asset.Source.M365,
                    "kind": device_kind(obj), "m365_tenant_id": self.tenant.pk,
                    "name": clip(obj.get("deviceName") or obj["id"], 200), "os": clip(obj.get("operatingSystem"), 100),
                    "os_version": clip(obj.get("osVersion"), 100),
                    "last_seen_at": parse_time(obj.get("lastSyncDateTime")), **values})
                counts["created"] += 1
                continue
            values = managed_fields(obj, current, owner)
            values["m365_tenant_id"] = self.tenant.pk
            changed = {k: v for k, v in values.items() if current.get(k) != v}
            if not current["m365_object_id"] and current["removed_reason"] == "not_in_intune":
                changed.update(is_active=True, removed_at=None, removed_reason="")
            if changed:
                current.update(changed)
                updates.append(current)
                counts["enriched"] += 1
        insert_rows(Asset, creates)
        update_rows(Asset, _by_id(updates), (*INTUNE_OWNED, "is_active", "removed_at", "removed_reason"),
                    msp_id=self.msp.pk)

    INTUNE_FIELDS = ("id", "m365_object_id", "m365_device_id", "removed_at", "removed_reason", "is_active",
                     *INTUNE_OWNED)

    def _intune_index(self, objs: list[dict]) -> tuple[dict, dict]:
        """The tenant's assets by Intune id and by Entra deviceId; rows are updated in
        place. A complete listing loads them all once per run (most of its pages change
        nothing: one query beats one lookup per page); a changed-devices listing looks
        up only its page's devices."""
        if self._intune_complete:
            if self._intune_rows is None:
                self._intune_rows = _by_intune_and_device(Asset.objects.filter(msp=self.msp, m365_tenant=self.tenant))
            return self._intune_rows
        device_ids = [o["azureADDeviceId"] for o in objs if o.get("azureADDeviceId") not in (None, "", ZERO_GUID)]
        return _by_intune_and_device(Asset.objects.filter(msp=self.msp, m365_tenant=self.tenant).filter(
            Q(intune_id__in=[o["id"] for o in objs]) | Q(m365_device_id__in=device_ids)))

    def _owners(self, upns: set[str]) -> dict[str, int]:
        """Owner UPN → contact id: this tenant's users (all of them, loaded once, for a
        complete listing; else just these UPNs), then any contact of the client with
        that email (indexed on lower(email)). A UPN nobody has is asked once per run."""
        if not upns:
            return {}
        contacts = Contact.objects.filter(msp=self.msp, client=self.client, deleted_at__isnull=True)
        tenant_users = contacts.filter(m365_tenant=self.tenant).exclude(m365_upn="")
        if self._intune_complete and not self._upns_loaded:
            self._upn_map.update((upn.lower(), pk) for upn, pk in tenant_users.values_list("m365_upn", "id"))
            self._upns_loaded = True
        elif not self._upns_loaded and (ask := upns - self._upn_map.keys() - self._owner_misses):
            self._upn_map.update(tenant_users.annotate(upn_ci=Lower("m365_upn")).filter(upn_ci__in=ask)
                                 .values_list("upn_ci", "id"))
        found = {upn: self._upn_map[upn] for upn in upns if upn in self._upn_map}
        missing = upns - set(found) - self._owner_misses
        if missing:
            for email, pk in (contacts.annotate(email_ci=Lower("email")).filter(email_ci__in=missing)
                              .values_list("email_ci", "id")):
                found.setdefault(email, pk)
                self._upn_map[email] = pk
            self._owner_misses |= missing - set(found)  # guests and skipped users: ask once per run
        return found


def _by_id(rows: list[dict]) -> list[tuple[int, dict]]:
    """Stored rows (dicts with "id") as bulk_sql.update_rows takes them."""
    return [(row["id"], row) for row in rows]


def _by_intune_and_device(assets) -> tuple[dict, dict]:
    by_intune, by_device = {}, {}
    for row in assets.values(*TenantSync.INTUNE_FIELDS):
        if row["intune_id"]:
            by_intune[row["intune_id"]] = row
        if row["m365_device_id"]:
            by_device[row["m365_device_id"]] = row
    return by_intune, by_device


def _expected_totals(msp, tenant) -> dict[str, int]:
    """Objects seen by the last successful run, to estimate the progress bar."""
    last = (SyncRun.objects.filter(msp=msp, tenant=tenant, status=SyncRun.Status.SUCCEEDED)
            .order_by("-created_at").values_list("counts", flat=True).first()) or {}
    return {
        "users": (last.get("contacts") or {}).get("seen", 0),
        "devices": (last.get("assets") or {}).get("seen", 0),
        "intune": (last.get("assets") or {}).get("intune_seen", 0),
    }


def finish_run(*, msp, tenant: M365Tenant, run: SyncRun, status: str, error: M365Error | None = None,
               counts: dict | None = None, notes: list[str] | None = None, graph: GraphClient | None = None) -> None:
    now = timezone.now()
    run.status = status
    run.finished_at = now
    if counts is not None:
        run.counts = counts
    if notes:
        run.notes = list(run.notes or []) + notes
    if graph is not None:
        run.pages, run.requests = graph.pages, graph.requests
    if error is not None:
        run.error_code, run.error_message = error.code[:60], error.friendly[:255]
    run.error = error  # in-memory, for the task's retry decision
    if status == SyncRun.Status.SUCCEEDED:
        run.progress = 100
    run.save()
    tenant_updates: dict = {}
    if status == SyncRun.Status.SUCCEEDED:
        tenant_updates = {"last_sync_at": now, "health_message": ""}
        if tenant.consent_state == M365Tenant.ConsentState.RECONNECT_REQUIRED:
            tenant_updates["consent_state"] = M365Tenant.ConsentState.CONNECTED
    elif error is not None and error.kind not in (Kind.BUSY, Kind.CLIENT_MOVED):
        tenant_updates = {"health_message": error.friendly[:255]}
        if error.kind in RECONNECT_KINDS and tenant.consent_state == M365Tenant.ConsentState.CONNECTED:
            tenant_updates["consent_state"] = M365Tenant.ConsentState.RECONNECT_REQUIRED
    if tenant_updates:
        M365Tenant.objects.filter(msp=msp, pk=tenant.pk).update(**tenant_updates)
        for key, value in tenant_updates.items():
            setattr(tenant, key, value)


def tenant_sync(*, msp, tenant: M365Tenant, trigger: str = SyncRun.Trigger.MANUAL, full: bool = False,
                run: SyncRun | None = None, actor=None) -> SyncRun:
    """Sync one tenant now, in this process. Returns the finished SyncRun (its status
    says how it went; M365 problems never raise out of here)."""
    if run is None:
        run = SyncRun.objects.create(msp=msp, tenant=tenant, client=tenant.client, trigger=trigger, full=full,
                                     triggered_by=actor if getattr(actor, "pk", None) else None)
    if tenant.client is None or tenant.client.is_archived:
        finish_run(msp=msp, tenant=tenant, run=run, status=SyncRun.Status.SKIPPED,
                   error=M365Error(Kind.CLIENT_ARCHIVED, "client_archived" if tenant.client else "no_client"))
        return run
    lock = TenantLock(msp=msp, tenant=tenant, holder=f"{worker_label()}:{run.pk}")
    if not lock.acquire():
        finish_run(msp=msp, tenant=tenant, run=run, status=SyncRun.Status.SKIPPED, error=M365Error(Kind.BUSY))
        return run
    try:
        # We hold the lock, so any other "running" run of this tenant died with its worker.
        (SyncRun.objects.filter(msp=msp, tenant=tenant, status=SyncRun.Status.RUNNING).exclude(pk=run.pk)
         .update(status=SyncRun.Status.INTERRUPTED, finished_at=timezone.now(), error_code="interrupted",
                 error_message="The worker stopped before this sync finished; a later run picked it up."))
        run.status, run.started_at, run.worker = SyncRun.Status.RUNNING, timezone.now(), worker_label()
        run.save(update_fields=["status", "started_at", "worker"])
        engine = None
        try:
            engine = TenantSync(msp=msp, tenant=tenant, run=run)
            engine.lock = lock
            engine.execute()
        except M365Error as exc:
            log.warning("m365 sync of tenant %s failed: %s", tenant.tenant_id, exc.code)
            status = SyncRun.Status.SKIPPED if exc.kind in STOPPED_KINDS else SyncRun.Status.FAILED
            finish_run(msp=msp, tenant=tenant, run=run, status=status, error=exc,
                       counts=engine._counts_json() if engine else None, notes=engine.notes if engine else None,
                       graph=engine.source if engine else None)
            return run
        except Exception:
            # A bug or an outage of our own (database, Redis): the run must not stay
            # "running" forever. Close it, then let the task fail loudly.
            log.exception("m365 sync of tenant %s crashed", tenant.tenant_id)
            try:
                finish_run(msp=msp, tenant=tenant, run=run, status=SyncRun.Status.FAILED,
                           error=M365Error(Kind.INTERNAL, "internal_error"),
                           counts=engine._counts_json() if engine else None,
                           notes=engine.notes if engine else None, graph=engine.source if engine else None)
            except Exception:
                log.exception("m365 sync run %s could not be closed", run.pk)
            raise
        # Health rides on the sync's token and session; its problems never fail the sync.
        if engine.graph is not None:  # CIPP gives no tenant health
            tenant_health_refresh(msp=msp, tenant=tenant, graph=engine.graph, after_sync=True)
            if tenant.health_error:
                engine.notes.append(f"Health: {tenant.health_error}")
        finish_run(msp=msp, tenant=tenant, run=run, status=SyncRun.Status.SUCCEEDED,
                   counts=engine._counts_json(), notes=engine.notes, graph=engine.source)
        audit_record(msp=msp, action="m365.sync", obj=tenant, client=tenant.client, actor=actor,
                     actor_label="" if actor else "Microsoft 365 sync",
                     changes={"run": run.pk, "full": run.full, "counts": run.counts})
        return run
    finally:
        lock.release()
