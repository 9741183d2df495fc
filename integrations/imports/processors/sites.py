"""Sites import: a site is matched by its client and name (case-insensitive)."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.utils import timezone

from clients.models import Client
from opsmerge.bulk_sql import update_ids, update_rows
from sites.models import Site

from .. import cells
from .base import CREATED, SKIPPED, UNCHANGED, UPDATED, Processor, Row, name_key

FIELDS = ("location", "time_zone", "street", "city", "postal_code", "state", "country", "is_hq")
TEXT = {"name": 120, "location": 200, "street": 255, "city": 120, "postal_code": 20}


class SitesProcessor(Processor):
    kind = "sites"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clients: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
        for pk, name, status in Client.objects.filter(msp=self.msp).values_list("id", "name", "status"):
            self.clients[name_key(name)].append((pk, name, status == Client.Status.ARCHIVED))
        self.seen: dict[tuple, int] = {}

    def clean(self, row: Row) -> None:
        client_name = row.take("client", str, required=True)
        row.take("name", partial(cells.max_length, limit=TEXT["name"]), required=True)
        for key in ("location", "street", "city", "postal_code"):
            row.take(key, partial(cells.max_length, limit=TEXT[key]))
        row.take("time_zone", cells.time_zone)
        country = row.take("country", cells.country) or ""
        row.take("state", lambda v: cells.state(v, country))
        row.take("is_hq", cells.parse_bool)
        if client_name:
            found = self.clients.get(name_key(client_name), [])
            if len(found) != 1:
                row.error("client", f"No client called “{client_name}”." if not found else
                          f"Several clients are called “{client_name}”: rename one first.")
            else:
                row.data["client"], row.data["_archived"] = found[0][0], found[0][2]
        if row.ok:
            key = (row.data["client"], row.data["name"].casefold())
            first = self.seen.setdefault(key, row.number)
            if first != row.number:
                row.error("name", f"Row {first} has the same client and site name.")
            if row.data.get("is_hq"):
                first = self.seen.setdefault(("hq", row.data["client"]), row.number)
                if first != row.number:
                    row.error("is_hq", f"Row {first} already makes another site this client's HQ.")

    def apply(self, rows: list[Row], *, mode: str) -> None:
        msp = self.msp
        ids = {r.data["client"] for r in rows}
        existing: dict[tuple[int, str], dict] = {}
        has_hq: set[int] = set()
        for item in Site.objects.filter(msp=msp, client_id__in=ids).values("id", "client_id", "name", *FIELDS):
            existing[(item["client_id"], item["name"].casefold())] = item
            if item["is_hq"]:
                has_hq.add(item["client_id"])
        writes, fields, creates, new_hq, logged = [], set(), [], {}, []
        for row in rows:
            data = row.data
            current = existing.get((data["client"], data["name"].casefold()))
            if (current is None and mode == "update") or (current is not None and mode == "create"):
                row.outcome = SKIPPED
                continue
            changes = {k: data[k] for k in FIELDS if k in data and (current is None or current[k] != data[k])}
            if current is not None and data["name"] != current["name"]:
                changes["name"] = data["name"]
            if data["_archived"] and (current is None or changes):
                row.error("client", "This client is archived: restore it before changing its sites.")
                continue
            if current is None:
                if data["client"] not in has_hq and data["client"] not in new_hq:
                    data["is_hq"] = True  # a client's first site is its HQ (as sites.services does)
                creates.append(row)
            elif changes:
                fields.update(changes)
                logged.append((current["id"], {k: current[k] for k in changes}, changes))
                writes.append((current["id"], {**{k: current[k] for k in (*FIELDS, "name")}, **changes}))
            row.outcome = CREATED if current is None else UPDATED if changes else UNCHANGED
            if data.get("is_hq") and (current is None or changes.get("is_hq")):
                new_hq[data["client"]] = current["id"] if current else None
        if new_hq:  # one HQ per client: the file's HQ takes over
            demoted = list(Site.objects.filter(msp=msp, client_id__in=list(new_hq), is_hq=True).exclude(
                pk__in=[pk for pk in new_hq.values() if pk]).values_list("id", flat=True))
            update_ids(Site, demoted, {"is_hq": False}, msp_id=msp.pk)
            self.log.updated(Site, [(pk, {"is_hq": True}, {"is_hq": False}) for pk in demoted])
        update_rows(Site, writes, sorted(fields), msp_id=msp.pk)
        self.log.updated(Site, logged)
        now = timezone.now()
        created = Site.objects.bulk_create([Site(msp=msp, client_id=r.data["client"], name=r.data["name"],
                                                 created_at=now, **{k: r.data[k] for k in FIELDS if k in r.data})
                                            for r in creates])
        self.log.created(Site, [site.pk for site in created])
