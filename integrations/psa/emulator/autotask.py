"""Autotask PSA REST API (v1.0) emulator, built from Datto's public developer docs
(REST API calls, basic/advanced query features, thresholds and latency) and the
published OpenAPI models (CompanyModel, ContactModel, QueryModel, PagingModel).

What it serves, under the product's prefix on the shared emulator server:

  GET  atservicesrest/v1.0/zoneInformation?user=<username>   → {zoneName, url, webUrl, ci}
       (the discovery host; not counted against the threshold, like the real one)
  everything else under the zone URL it hands out, ws2/ATServicesRest/V1.0/ :
  GET  {Entity}/{id}                        → {"item": {...}} ({"item": null} when absent, as Autotask does)
  POST {Entity}/query  {"MaxRecords", "IncludeFields", "filter": [...]}
  GET  {Entity}/query?search=<the same JSON>
  GET  {Entity}/query/next?paging=…&search=…   (the pageDetails.nextPageUrl / prevPageUrl it hands out)
  POST {Entity}/query/count                 → {"queryCount": n}
  GET  {Entity}/entityInformation/fields    → {"fields": [...]} with picklists (Tickets status/priority)
  POST|PATCH|PUT Companies, Tickets         → {"itemId": n}
  POST|PATCH|PUT Companies/{id}/Contacts (and POST Contacts with companyID) → {"itemId": n}
  entities: Companies, Contacts, Tickets, Countries, Resources

Headers ApiIntegrationCode, UserName, Secret on every zone call. Autotask's own quirks
are kept: a wrong Secret answers 401 {"Message": ...}; an unknown user or integration
code answers 500 {"errors": [...]}; business validation answers 500 {"errors": [...]}
("Value does not exist for the required field companyName. | Error creating entity
for record number [1]."), malformed requests 400. Queries need a filter, MaxRecords is
1..500, string comparisons ignore case. The request threshold (10,000 an hour per
database) is configurable: latency is added past 50 % / 75 % and 429 {"errors"} with
Retry-After past 100 %.

Pure Python and thread-safe (the Product lock); the shared server (emulator/common.py)
routes https://host:port/autotask/... here.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from .common import Product, Request, Response, fake_company, fake_contact, register_product, seed_times

ZONE_PREFIX = ("ws2", "atservicesrest", "v1.0")
DISCOVERY = ("atservicesrest", "v1.0", "zoneinformation")
MAX_RECORDS = 500

# Autotask's Countries entity is tenant data (id, countryCode, name): ids are Autotask's
# internal numbers, the connector reads them through the API. 237 is the United States
# in real tenants; the others are illustrative of the shape.
COUNTRIES = ((237, "US", "United States"), (236, "GB", "United Kingdom"), (39, "CA", "Canada"),
             (14, "AU", "Australia"), (82, "DE", "Germany"), (75, "FR", "France"),
             (154, "NL", "Netherlands"), (106, "IE", "Ireland"), (155, "NZ", "New Zealand"))
# Default ticket picklists of a new Autotask database (value, label); tenants add their own.
TICKET_STATUSES = ((1, "New"), (5, "Complete"), (7, "Waiting Customer"), (8, "In Progress"),
                   (9, "Waiting Materials"), (10, "Dispatched"), (11, "Escalate"), (12, "Waiting Vendor"),
                   (13, "Waiting Approval"))
TICKET_PRIORITIES = ((1, "High"), (2, "Medium"), (3, "Low"), (4, "Critical"))
COMPANY_TYPES = ((1, "Customer"), (2, "Lead"), (3, "Prospect"), (4, "Dead"), (6, "Cancellation"),
                 (7, "Vendor"), (8, "Partner"))

# Per entity: field → (dataType, max length or None, required on create, read-only).
S, N, B, D = "string", "integer", "boolean", "datetime"
FIELDS: dict[str, dict[str, tuple[str, int | None, bool, bool]]] = {
    "Companies": {
        "id": (N, None, False, True), "companyName": (S, 100, True, False), "companyNumber": (S, 50, False, False),
        "companyType": (N, None, True, False), "ownerResourceID": (N, None, True, False),
        "isActive": (B, None, False, False), "phone": (S, 25, False, False), "fax": (S, 25, False, False),
        "webAddress": (S, 255, False, False), "address1": (S, 128, False, False), "address2": (S, 128, False, False),
        "city": (S, 50, False, False), "state": (S, 25, False, False), "postalCode": (S, 20, False, False),
        "countryID": (N, None, False, False), "parentCompanyID": (N, None, False, False),
        "createDate": (D, None, False, True), "lastActivityDate": (D, None, False, True),
        "lastTrackedModifiedDateTime": (D, None, False, True),
    },
    "Contacts": {
        "id": (N, None, False, True), "companyID": (N, None, True, False), "firstName": (S, 50, True, False),
        "lastName": (S, 50, True, False), "emailAddress": (S, 254, False, False), "phone": (S, 25, False, False),
        "mobilePhone": (S, 25, False, False), "title": (S, 50, False, False), "isActive": (N, None, True, False),
        "primaryContact": (B, None, False, False), "createDate": (D, None, False, True),
        "lastActivityDate": (D, None, False, True), "lastModifiedDate": (D, None, False, True),
    },
    "Tickets": {
        "id": (N, None, False, True), "ticketNumber": (S, 50, False, True), "companyID": (N, None, True, False),
        "contactID": (N, None, False, False), "title": (S, 255, True, False), "description": (S, 8000, False, False),
        "status": (N, None, True, False), "priority": (N, None, True, False), "dueDateTime": (D, None, False, False),
        "externalID": (S, 50, False, False),
        "createDate": (D, None, False, True), "completedDate": (D, None, False, True),
        "lastActivityDate": (D, None, False, True), "lastTrackedModificationDateTime": (D, None, False, True),
    },
    "Countries": {"id": (N, None, False, True), "countryCode": (S, 2, False, True), "name": (S, 100, False, True),
                  "displayName": (S, 100, False, True), "isActive": (B, None, False, True)},
    "Resources": {"id": (N, None, False, True), "firstName": (S, 50, False, True), "lastName": (S, 50, False, True),
                  "email": (S, 254, False, True), "isActive": (B, None, False, True)},
}
ENTITIES = {name.lower(): name for name in FIELDS}
PICKLISTS = {("Tickets", "status"): TICKET_STATUSES, ("Tickets", "priority"): TICKET_PRIORITIES,
             ("Companies", "companyType"): COMPANY_TYPES}
WRITABLE = {"Companies", "Contacts", "Tickets"}
# The modification stamp each entity's writes bump (besides lastActivityDate).
MODIFIED_FIELD = {"Companies": "lastTrackedModifiedDateTime", "Contacts": "lastModifiedDate",
                  "Tickets": "lastTrackedModificationDateTime"}
ID_START = {"Companies": 1000, "Contacts": 29684000, "Tickets": 7000, "Countries": 0, "Resources": 29682885}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def at_time(value: datetime | None) -> str | None:
    """A datetime as Autotask writes one: UTC, milliseconds, trailing Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value) -> datetime:
    """Autotask accepts yyyy-mm-ddThh:mm:ss[.ms][Z|±hh:mm]; no zone means UTC."""
    if not isinstance(value, str):
        raise ValueError(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Refusal(Exception):
    """An answer other than 200, in Autotask's shape."""

    def __init__(self, status: int, *messages: str, body=None, headers=None):
        self.status, self.headers = status, headers or {}
        self.body = body if body is not None else {"errors": list(messages)}
        super().__init__(status, messages)


def _invalid(message: str, verb: str = "creating") -> Refusal:
    return Refusal(500, f"{message}  | Error {verb} entity for record number [1].")


class Table:
    """One entity: records by id (ascending, so paging is a bisect away) and the next id."""

    def __init__(self, name: str):
        self.name = name
        self.rows: dict[int, dict] = {}
        self.ids: list[int] = []
        self.next_id = ID_START[name]

    def add(self, row: dict) -> dict:
        row["id"] = self.next_id
        self.next_id += 1
        self.rows[row["id"]] = row
        self.ids.append(row["id"])  # ids only grow: the list stays sorted
        return row


class Throttled(Exception):
    def __init__(self, limit: int, window: float, retry_after: int):
        self.limit, self.window, self.retry_after = limit, window, retry_after
        super().__init__(limit, window, retry_after)


class Threshold:
    """A request threshold over a fixed window (Autotask: 10,000 an hour per database,
    latency added past 50 % and 75 %). HaloPSA's emulator uses it too."""

    def __init__(self, limit: int = 10_000, window: float = 3600.0, latency_50: float = 0.0,
                 latency_75: float = 0.0):
        self.limit, self.window, self.latency_50, self.latency_75 = limit, window, latency_50, latency_75
        self.started = time.monotonic()
        self.used = 0

    def take(self) -> float:
        """Count one request: the latency to add, or raise Throttled."""
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.used = now, 0
        if self.used >= self.limit:
            raise Throttled(self.limit, self.window, max(1, math.ceil(self.started + self.window - now)))
        self.used += 1
        share = self.used / self.limit
        if share > 0.75:
            return max(self.latency_50, self.latency_75)
        return self.latency_50 if share > 0.5 else 0.0

    def replaced(self, **changes) -> Threshold:
        values = {"limit": self.limit, "window": self.window, "latency_50": self.latency_50,
                  "latency_75": self.latency_75}
        values.update({k: v for k, v in changes.items() if v is not None})
        return Threshold(**values)


@register_product
class AutotaskProduct(Product):
    """The in-memory Autotask database behind the emulator (one catch-all route per
    method: Autotask's paths are case-insensitive, so routing happens in `handle`)."""

    kind = "autotask"
    label = "Autotask"
    routes = [(method, r"/(?P<rest>.*)", "serve") for method in ("GET", "POST", "PATCH", "PUT", "DELETE")]
    USERNAME = "api-user@opsmerge.example"
    SECRET = "emu-autotask-secret"  # noqa: S105 (the emulator's own fixed credential)
    INTEGRATION_CODE = "OPSMERGEEMUINTEGRATION"

    # -- control ----------------------------------------------------------------------
    def on_reset(self) -> None:
        self.users = {self.USERNAME: self.SECRET}
        self.integration_codes = {self.INTEGRATION_CODE}
        self.threshold = Threshold()
        self.tables = {name: Table(name) for name in FIELDS}
        countries = self.tables["Countries"]
        for cid, code, name in COUNTRIES:
            countries.rows[cid] = {"id": cid, "countryCode": code, "name": name, "displayName": name,
                                   "isActive": True}
        countries.ids = sorted(countries.rows)
        self.tables["Resources"].add({"firstName": "API", "lastName": "User", "email": self.USERNAME,
                                      "isActive": True})

    def credentials(self) -> dict[str, str]:
        return {"username": self.USERNAME, "secret": self.SECRET, "integration_code": self.INTEGRATION_CODE}

    def fault_response(self, status: int, retry_after: int | None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status == 401:
            return Response(401, {"Message": "Authorization has been denied for this request."}, headers)
        if status == 404:
            return Response(404, {"Message": "No HTTP resource was found that matches the request URI."}, headers)
        if status == 429:
            headers.setdefault("Retry-After", "1")
            return Response(429, {"errors": ["The API request threshold has been exceeded for this database."]},
                            headers)
        if status == 400:
            return Response(400, {"errors": ["The request is invalid."]}, headers)
        return Response(status, {"errors": ["An unexpected error has occurred. If the problem persists, please "
                                            "contact Autotask Support and reference Error ID: 1166"]}, headers)

    def configure(self, *, limit: int | None = None, window: float | None = None,
                  latency_50: float | None = None, latency_75: float | None = None) -> None:
        """Change the request threshold (tests make it tiny to see the 429)."""
        with self.lock:
            self.threshold = self.threshold.replaced(limit=limit, window=window, latency_50=latency_50,
                                                     latency_75=latency_75)

    def seed(self, *, companies: int = 20, contacts_per_company: int = 3, seed: int = 1,
             tickets_per_company: int = 0) -> None:
        """Deterministic data from the shared fake_company/fake_contact (the same arguments
        give the same records). One company in seven lacks optional fields (null phone,
        webAddress, address, countryID and a never-tracked lastTrackedModifiedDateTime),
        one in nine is inactive; some contacts have no email or are inactive (isActive 0)."""
        rng = random.Random(seed)
        by_code = {code: cid for cid, code, _ in COUNTRIES}
        with self.lock:
            owner = self.tables["Resources"].ids[0]
            companies_t, contacts_t, tickets_t = (self.tables[n] for n in ("Companies", "Contacts", "Tickets"))
            first = len(companies_t.rows)
            times = seed_times(companies, rng)
            for i in range(companies):
                n = first + i
                fake = fake_company(n, rng)
                modified = times[i]
                created = modified - timedelta(days=200)
                partial = n % 7 == 3
                company = companies_t.add({
                    "companyName": fake["name"], "companyNumber": f"C{n:05d}", "companyType": 1,
                    "ownerResourceID": owner, "isActive": n % 9 != 5,
                    "phone": None if partial else fake["phone"], "fax": None,
                    "webAddress": None if partial else fake["website"],
                    "address1": None if partial else fake["street"], "address2": None,
                    "city": None if partial else fake["city"], "state": (None if partial else fake["region"]) or None,
                    "postalCode": None if partial else fake["postcode"],
                    "countryID": None if partial else by_code.get(fake["country"]), "parentCompanyID": None,
                    "createDate": at_time(created), "lastActivityDate": at_time(modified),
                    "lastTrackedModifiedDateTime": None if partial else at_time(modified),
                })
                for m in range(contacts_per_company):
                    person = fake_contact(n, m, fake["domain"], rng)
                    touched = modified - timedelta(seconds=rng.randint(0, 86400))
                    contacts_t.add({
                        "companyID": company["id"], "firstName": person["first_name"], "lastName": person["last_name"],
                        "emailAddress": None if (n + m) % 11 == 4 else person["email"],
                        "phone": person["phone"] if m % 2 == 0 else None,
                        "mobilePhone": f"+1 555 {rng.randint(0, 999):03d} {m:04d}" if m % 3 == 1 else None,
                        "title": person["title"] or None, "isActive": 0 if (n + m) % 13 == 7 else 1,
                        "primaryContact": m == 0, "createDate": at_time(created),
                        "lastActivityDate": at_time(touched), "lastModifiedDate": at_time(touched),
                    })
                for k in range(tickets_per_company):
                    opened = modified - timedelta(days=k + 1)
                    tickets_t.add({
                        "ticketNumber": f"T{opened:%Y%m%d}.{tickets_t.next_id % 10000:04d}",
                        "companyID": company["id"], "contactID": None, "title": f"Printer offline #{k + 1}",
                        "description": None, "status": TICKET_STATUSES[k % len(TICKET_STATUSES)][0],
                        "priority": TICKET_PRIORITIES[k % len(TICKET_PRIORITIES)][0],
                        "dueDateTime": at_time(opened + timedelta(days=2)), "createDate": at_time(opened),
                        "completedDate": None, "lastActivityDate": at_time(opened + timedelta(hours=k)),
                        "lastTrackedModificationDateTime": at_time(opened + timedelta(hours=k)),
                    })

    def mutate(self, *, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
        """Edit `fraction` of companies and contacts as a person would (phone, title),
        bumping their modification stamps."""
        rng = random.Random(seed)
        changed = {"companies": 0, "contacts": 0}
        with self.lock:
            for entity, key, field_name in (("Companies", "companies", "phone"), ("Contacts", "contacts", "title")):
                table = self.tables[entity]
                count = int(len(table.ids) * fraction)
                for item_id in rng.sample(table.ids, count) if count else ():
                    row = table.rows[item_id]
                    row[field_name] = f"{'555-0' if field_name == 'phone' else 'Changed '}{rng.randint(100, 999)}"
                    self._stamp(entity, row)
                    changed[key] += 1
        return changed

    def inspect(self) -> dict:
        with self.lock:
            return {"records": {"companies": len(self.tables["Companies"].rows),
                                "contacts": len(self.tables["Contacts"].rows),
                                "tickets": len(self.tables["Tickets"].rows)},
                    "requests": dict(self.counts),
                    "threshold": {"limit": self.threshold.limit, "used": self.threshold.used,
                                  "window": self.threshold.window}}

    def touch(self, entity: str, item_id: int, **changes) -> None:
        """Change a record as a person in Autotask would (tests of since-filters)."""
        with self.lock:
            row = self.tables[entity].rows[item_id]
            row.update(changes)
            self._stamp(entity, row)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=getattr(self, "clock_offset", 0))

    # -- test hooks (common.Product): neutral names, string ids ------------------------------
    _COMPANY_KEYS = {"name": "companyName", "phone": "phone", "website": "webAddress", "street": "address1",
                     "city": "city", "region": "state", "postcode": "postalCode"}
    _CONTACT_KEYS = {"first_name": "firstName", "last_name": "lastName", "email": "emailAddress", "phone": "phone",
                     "mobile": "mobilePhone", "title": "title"}
    _TABLES = {"companies": "Companies", "contacts": "Contacts", "tickets": "Tickets"}
    _STATUS_VALUES = {"new": 1, "open": 8, "waiting": 7, "resolved": 5, "closed": 5}

    def edit_company(self, external_id: str, **fields) -> None:
        changes = {self._COMPANY_KEYS[k]: v for k, v in fields.items() if k in self._COMPANY_KEYS}
        if "active" in fields:
            changes["isActive"] = bool(fields["active"])
        if "country" in fields:
            changes["countryID"] = next((cid for cid, code, _ in COUNTRIES if code == fields["country"]), None)
        self.touch("Companies", int(external_id), **changes)

    def company_fields(self, external_id: str) -> dict:
        with self.lock:
            row = self.tables["Companies"].rows[int(external_id)]
            out = {k: row.get(v) or "" for k, v in self._COMPANY_KEYS.items()}
            out["country"] = next((code for cid, code, _ in COUNTRIES if cid == row.get("countryID")), "")
            out["active"] = bool(row.get("isActive"))
            return out

    def edit_contact(self, external_id: str, **fields) -> None:
        changes = {self._CONTACT_KEYS[k]: v for k, v in fields.items() if k in self._CONTACT_KEYS}
        if "active" in fields:
            changes["isActive"] = 1 if fields["active"] else 0
        self.touch("Contacts", int(external_id), **changes)

    def contact_fields(self, external_id: str) -> dict:
        with self.lock:
            row = self.tables["Contacts"].rows[int(external_id)]
            return {**{k: row.get(v) or "" for k, v in self._CONTACT_KEYS.items()},
                    "company_external_id": str(row["companyID"]), "active": row.get("isActive") == 1}

    def set_ticket_status(self, external_id: str, status: str) -> None:
        self.touch("Tickets", int(external_id), status=self._STATUS_VALUES[status])

    def ids(self, table: str) -> list[str]:
        with self.lock:
            return [str(i) for i in self.tables[self._TABLES[table]].ids]

    def add_company(self, **fields) -> str:
        with self.lock:
            now = at_time(self.now())
            row = {name: None for name in FIELDS["Companies"] if name != "id"}
            row.update({self._COMPANY_KEYS[k]: v or None for k, v in fields.items() if k in self._COMPANY_KEYS})
            row.update({"companyType": 1, "ownerResourceID": self.tables["Resources"].ids[0], "isActive": True,
                        "countryID": next((cid for cid, code, _ in COUNTRIES if code == fields.get("country")), None),
                        "createDate": now, "lastActivityDate": now, "lastTrackedModifiedDateTime": now})
            return str(self.tables["Companies"].add(row)["id"])

    def add_contact(self, company_external_id: str, **fields) -> str:
        with self.lock:
            now = at_time(self.now())
            row = {name: None for name in FIELDS["Contacts"] if name != "id"}
            row.update({self._CONTACT_KEYS[k]: v or None for k, v in fields.items() if k in self._CONTACT_KEYS})
            row.update({"companyID": int(company_external_id), "isActive": 1, "primaryContact": False,
                        "createDate": now, "lastActivityDate": now, "lastModifiedDate": now})
            return str(self.tables["Contacts"].add(row)["id"])

    # -- HTTP ---------------------------------------------------------------------------
    def serve(self, req: Request) -> Response:
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return Response(400, {"errors": ["The request body is not valid JSON."]})
        query = {k: v[-1] for k, v in req.query.items()}
        status, payload, headers = self.handle(req.method, req.path, query, req.headers, body, req.base_url)
        return Response(status, payload, headers)

    def handle(self, method: str, path: str, query: dict, headers, body, base: str):
        """(status, json body, headers) for one request; `path` is relative to the
        product prefix, `base` the absolute URL of that prefix (for URLs it hands out)."""
        segs = [s for s in path.split("/") if s]
        low = [s.lower() for s in segs]
        try:
            if tuple(low) == DISCOVERY and method == "GET":
                return self._zone(query, base)
            if tuple(low[:3]) != ZONE_PREFIX:
                raise Refusal(404, body={"Message": f"No HTTP resource was found that matches the request URI "
                                                   f"'{base}/{path}'."})
            with self.lock:
                self._authenticate(headers)
                try:
                    latency = self.threshold.take()
                except Throttled as over:
                    raise Refusal(429, f"The API request threshold of {over.limit} requests per {int(over.window)} "
                                  "seconds has been exceeded for this database. Requests will be accepted again "
                                  "when usage falls below the threshold.",
                                  headers={"Retry-After": str(over.retry_after)}) from None
            if latency:
                time.sleep(latency)
            with self.lock:
                zone = f"{base}/{'/'.join(segs[:3])}"
                return 200, self._route(method, segs[3:], low[3:], query, body, zone), {}
        except Refusal as refusal:
            if refusal.status == 429:
                with self.lock:
                    self.counts["throttled"] += 1
            return refusal.status, refusal.body, refusal.headers

    def _zone(self, query: dict, base: str):
        user = query.get("user", "")
        with self.lock:
            known = user in self.users
        if not known:
            raise Refusal(500, "Zone information could not be determined for the specified user.")
        return 200, {"zoneName": "America West", "url": f"{base}/ws2/ATServicesRest/",
                     "webUrl": f"{base}/ww2/", "ci": 2}, {}

    def _authenticate(self, headers) -> None:
        def header(name):
            for key, value in headers.items():
                if key.lower() == name.lower():
                    return value
            return None

        code, user, secret = header("ApiIntegrationCode"), header("UserName"), header("Secret")
        if code not in self.integration_codes:
            raise Refusal(500, "IntegrationCode is invalid.")
        if user not in self.users:
            raise Refusal(500, "Zone information could not be determined for the specified user.")
        if self.users[user] != secret:
            raise Refusal(401, body={"Message": "Authorization has been denied for this request."})

    def _route(self, method, segs, low, query, body, zone):
        if not segs or low[0] not in ENTITIES:
            raise Refusal(404, body={"Message": "No HTTP resource was found that matches the request URI."})
        entity = ENTITIES[low[0]]
        self.counts[f"{method} {entity}"] += 1
        rest = low[1:]
        if rest == ["entityinformation", "fields"] and method == "GET":
            return {"fields": self._field_info(entity)}
        if rest[:1] == ["query"]:
            if rest == ["query", "count"]:
                spec = body if method == "POST" else self._search_arg(query)
                return {"queryCount": sum(1 for _ in self._matches(entity, spec, None, forward=True))}
            if rest in (["query", "next"], ["query", "prev"]) and method == "GET":
                return self._page(entity, self._search_arg(query), zone, paging=self._paging_arg(query),
                                  forward=rest[1] == "next")
            if rest == ["query"]:
                spec = body if method == "POST" else self._search_arg(query)
                return self._page(entity, spec, zone)
        if len(rest) == 1 and rest[0].isdigit() and method == "GET":
            return {"item": self.tables[entity].rows.get(int(rest[0]))}
        if entity == "Companies" and len(rest) >= 2 and rest[0].isdigit() and rest[1] == "contacts":
            parent = int(rest[0])
            if parent not in self.tables["Companies"].rows:
                raise Refusal(404, "The parent entity could not be found.")
            if len(rest) == 3 and rest[2].isdigit() and method == "GET":
                row = self.tables["Contacts"].rows.get(int(rest[2]))
                return {"item": row if row and row["companyID"] == parent else None}
            if len(rest) == 2 and method == "GET":
                return self._page("Contacts", {"filter": [{"op": "eq", "field": "companyID", "value": parent}]}, zone)
            if len(rest) == 2 and method in ("POST", "PATCH", "PUT"):
                return self._write("Contacts", method, body, parent=parent)
        if not rest and method in ("POST", "PATCH", "PUT") and entity in WRITABLE:
            return self._write(entity, method, body)
        if not rest and method == "GET":
            raise Refusal(405, body={"Message": "The requested resource does not support http method 'GET'."})
        raise Refusal(404, body={"Message": "No HTTP resource was found that matches the request URI."})

    # -- queries ------------------------------------------------------------------------
    @staticmethod
    def _search_arg(query: dict) -> dict:
        try:
            spec = json.loads(query.get("search") or "")
        except ValueError:
            raise Refusal(400, "The search parameter is not valid JSON.") from None
        if not isinstance(spec, dict):
            raise Refusal(400, "The search parameter is not valid JSON.")
        return spec

    @staticmethod
    def _paging_arg(query: dict) -> dict:
        try:
            paging = json.loads(query.get("paging") or "{}")
            return {"pageSize": int(paging["pageSize"]), "anchor": int(paging["anchor"])}
        except (ValueError, KeyError, TypeError):
            raise Refusal(400, "The paging parameter is not valid.") from None

    def _page(self, entity: str, spec, zone: str, *, paging: dict | None = None, forward: bool = True) -> dict:
        if not isinstance(spec, dict):
            raise Refusal(400, "The request is invalid.")
        spec = {k.lower(): v for k, v in spec.items()}
        size = spec.get("maxrecords", MAX_RECORDS) if paging is None else paging["pageSize"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_RECORDS:
            raise Refusal(400, f"MaxRecords must be between 1 and {MAX_RECORDS}.")
        include = spec.get("includefields") or []
        if not isinstance(include, list):
            raise Refusal(400, "IncludeFields must be an array of field names.")
        known = FIELDS[entity]
        for name in include:
            if name not in known:
                raise Refusal(500, f"Unable to find {name} in the {entity} Entity.")
        anchor = None if paging is None else paging["anchor"]
        items = []
        more = False
        for row in self._matches(entity, spec, anchor, forward=forward):
            if len(items) == size:
                more = True
                break
            items.append(row)
        if not forward:
            items.reverse()
        rows = [{"id": r["id"], **{f: r.get(f) for f in include if f != "id"}} if include else r for r in items]
        search = json.dumps({k: v for k, v in spec.items() if k != "maxrecords"}, separators=(",", ":"))

        def url(kind: str, edge: int) -> str:
            paging_arg = json.dumps({"pageSize": size, "anchor": edge}, separators=(",", ":"))
            return f"{zone}/{entity}/query/{kind}?paging={quote(paging_arg)}&search={quote(search)}"

        has_next = more if forward else bool(items)
        has_prev = (anchor is not None and bool(items)) if forward else more
        return {"items": rows, "pageDetails": {
            "count": len(rows), "requestCount": size,
            "prevPageUrl": url("prev", items[0]["id"]) if items and has_prev else None,
            "nextPageUrl": url("next", items[-1]["id"]) if items and has_next else None,
        }}

    def _matches(self, entity: str, spec, anchor: int | None, *, forward: bool):
        """Records matching the query's filter, in id order after (or before) `anchor`."""
        if not isinstance(spec, dict):
            raise Refusal(400, "The request is invalid.")
        spec = {k.lower(): v for k, v in spec.items()}
        filters = spec.get("filter")
        if not filters or not isinstance(filters, list):
            raise Refusal(500, "The query must contain at least one filter expression.")
        predicate = self._compile({"op": "and", "items": filters}, entity)
        table = self.tables[entity]
        ids = table.ids
        if forward:
            start = 0 if anchor is None else bisect.bisect_right(ids, anchor)
            order = range(start, len(ids))
        else:
            start = len(ids) if anchor is None else bisect.bisect_left(ids, anchor)
            order = range(start - 1, -1, -1)
        rows = table.rows
        for index in order:
            row = rows[ids[index]]
            if predicate(row):
                yield row

    def _compile(self, node, entity: str):
        if not isinstance(node, dict):
            raise Refusal(400, "Each filter must be an object.")
        node = {k.lower(): v for k, v in node.items()}
        op = str(node.get("op", "")).lower()
        if op in ("and", "or"):
            parts = [self._compile(item, entity) for item in node.get("items") or []]
            if not parts:
                raise Refusal(500, f"The '{op}' grouping needs at least one item.")
            if op == "and":
                return lambda row: all(p(row) for p in parts)
            return lambda row: any(p(row) for p in parts)
        field = node.get("field")
        spec = FIELDS[entity].get(field) if isinstance(field, str) else None
        if spec is None:
            raise Refusal(500, f"Unable to find {field} in the {entity} Entity.")
        kind = spec[0]
        if op == "exist":
            return lambda row: row.get(field) not in (None, "")
        if op == "notexist":
            return lambda row: row.get(field) in (None, "")
        raw = node.get("value")

        def coerce(value):
            try:
                if kind == D:
                    return parse_time(value)
                if kind == N:
                    if isinstance(value, bool):
                        raise ValueError(value)
                    return int(value)
                if kind == B:
                    if not isinstance(value, bool):
                        raise ValueError(value)
                    return value
                return str(value).lower()
            except (TypeError, ValueError):
                raise Refusal(500, f"Invalid value '{value}' for field {field}.") from None

        def read(row):
            value = row.get(field)
            if value is None:
                return None
            if kind == D:
                return parse_time(value)
            return value.lower() if kind == S else value

        if op in ("in", "notin"):
            if not isinstance(raw, list):
                raise Refusal(500, f"The '{op}' operator needs an array value.")
            wanted = {coerce(v) for v in raw}
            return (lambda row: read(row) in wanted) if op == "in" else (lambda row: read(row) not in wanted)
        bound = coerce(raw)
        compare = {
            "eq": lambda v: v == bound, "noteq": lambda v: v != bound, "gt": lambda v: v > bound,
            "gte": lambda v: v >= bound, "lt": lambda v: v < bound, "lte": lambda v: v <= bound,
            "beginswith": lambda v: str(v).startswith(bound), "endswith": lambda v: str(v).endswith(bound),
            "contains": lambda v: bound in str(v),
        }.get(op)
        if compare is None:
            raise Refusal(500, f"The operator '{node.get('op')}' is not valid.")
        if op == "noteq":
            return lambda row: (v := read(row)) is None or compare(v)
        return lambda row: (v := read(row)) is not None and compare(v)

    def _field_info(self, entity: str) -> list[dict]:
        out = []
        for name, (kind, length, required, read_only) in FIELDS[entity].items():
            values = PICKLISTS.get((entity, name))
            out.append({"name": name, "dataType": kind, "length": length or 0, "isRequired": required,
                        "isReadOnly": read_only, "isQueryable": True, "isReference": name.endswith("ID"),
                        "isPickList": values is not None,
                        "picklistValues": [{"value": str(v), "label": label, "isDefaultValue": i == 0,
                                            "sortOrder": i, "isActive": True, "isSystem": True}
                                           for i, (v, label) in enumerate(values or ())] or None})
        return out

    # -- writes -------------------------------------------------------------------------
    def _write(self, entity: str, method: str, body, parent: int | None = None) -> dict:
        if not isinstance(body, dict):
            raise Refusal(400, "The request body must be a JSON object.")
        verb = "creating" if method == "POST" else "updating"
        table = self.tables[entity]
        if method == "POST":
            current: dict = {}
        else:
            item_id = body.get("id")
            current = table.rows.get(item_id) if isinstance(item_id, int) else None
            if current is None:
                raise _invalid(f"The {entity} entity with id {item_id} could not be found.", verb)
            if parent is not None and current.get("companyID") != parent:
                raise _invalid(f"Contact {item_id} does not belong to company {parent}.", verb)
        changes = {k: v for k, v in body.items() if k != "id" and k in FIELDS[entity]
                   and not FIELDS[entity][k][3]}
        if parent is not None:
            changes["companyID"] = parent
        if method == "PUT":  # replace: every writable field not given becomes empty
            changes = {k: changes.get(k) for k, spec in FIELDS[entity].items() if not spec[3]} | changes
        merged = {**current, **changes}
        if method == "POST" and entity == "Companies":
            merged.setdefault("isActive", True)
        self._validate(entity, merged, verb)
        if method == "POST":
            row = {name: None for name in FIELDS[entity] if name != "id"} | merged
            if entity == "Tickets":
                row["ticketNumber"] = f"T{self.now():%Y%m%d}.{table.next_id % 10000:04d}"
                row["dueDateTime"] = row["dueDateTime"] or at_time(self.now() + timedelta(days=2))
            row["createDate"] = at_time(self.now())
            row = table.add(row)
        else:
            row = current
            row.update(changes)
        if entity == "Tickets" and row["status"] == 5 and not row.get("completedDate"):
            row["completedDate"] = at_time(self.now())
        self._stamp(entity, row)
        return {"itemId": row["id"]}

    def _stamp(self, entity: str, row: dict) -> None:
        now = at_time(self.now())
        row["lastActivityDate"] = now
        row[MODIFIED_FIELD[entity]] = now

    def _validate(self, entity: str, row: dict, verb: str) -> None:
        for name, (kind, length, required, read_only) in FIELDS[entity].items():
            if read_only:
                continue
            value = row.get(name)
            if value in (None, ""):
                if required:
                    raise _invalid(f"Value does not exist for the required field {name}.", verb)
                continue
            ok = {S: isinstance(value, str), N: isinstance(value, int) and not isinstance(value, bool),
                  B: isinstance(value, bool), D: isinstance(value, str)}[kind]
            if kind == D and ok:
                try:
                    parse_time(value)
                except ValueError:
                    ok = False
            if not ok:
                raise _invalid(f"Invalid value for field {name}.", verb)
            if kind == S and length and len(value) > length:
                raise _invalid(f"String value exceeds maximum length (field:{name}).", verb)
            picklist = PICKLISTS.get((entity, name))
            if picklist and value not in {v for v, _ in picklist}:
                raise _invalid(f"Value {value} is not a valid picklist value for field {name}.", verb)
        if entity == "Companies":
            if row.get("countryID") is not None and row["countryID"] not in self.tables["Countries"].rows:
                raise _invalid(f"Value {row['countryID']} does not exist for the reference field countryID.", verb)
            if row["ownerResourceID"] not in self.tables["Resources"].rows:
                raise _invalid("Value does not exist for the reference field ownerResourceID.", verb)
        if entity == "Contacts":
            if row["isActive"] not in (0, 1):
                raise _invalid("Invalid value for field isActive.", verb)
            if row.get("emailAddress") and not _EMAIL.match(row["emailAddress"]):
                raise _invalid(f"The email address '{row['emailAddress']}' is invalid (field:emailAddress).", verb)
            if row["companyID"] not in self.tables["Companies"].rows:
                raise _invalid("Value does not exist for the reference field companyID.", verb)
        if entity == "Tickets":
            if row["companyID"] not in self.tables["Companies"].rows:
                raise _invalid("Value does not exist for the reference field companyID.", verb)
            contact = row.get("contactID")
            if contact is not None:
                found = self.tables["Contacts"].rows.get(contact)
                if found is None or found["companyID"] != row["companyID"]:
                    raise _invalid("The contact must belong to the ticket's company (field:contactID).", verb)
