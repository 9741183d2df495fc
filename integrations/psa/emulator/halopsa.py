"""HaloPSA API emulator, built from Halo's public API documentation (resources Client,
Site, Users, Tickets, Status; OAuth2 client credentials) and the query parameters the
public HaloAPI PowerShell module sends (pageinate, page_size, page_no, search,
includeinactive, client_id, datesearch/startdate/enddate).

Served under the product's prefix on the shared emulator server (paths are
case-insensitive, as Halo's are):

  POST auth/token  (form: grant_type=client_credentials, client_id, client_secret,
                   scope=all; ?tenant= for hosted instances)
                   → {"access_token", "token_type": "Bearer", "expires_in", "scope"}
                   bad client → 401 {"error": "invalid_client", …}
  GET  api/Client | api/Site | api/Users | api/Tickets
       ?pageinate=true&page_size=N&page_no=K → {"page_no", "page_size", "record_count", "clients"|…}
       filters: search, includeinactive, client_id, ticketids=1,2, datesearch=lastactiondate
       &startdate=…&enddate=… (tickets). Without pageinate: the first `count` records.
  GET  api/Client/{id} … → the object (404 when absent)
  POST api/Client | api/Site | api/Users | api/Tickets with a JSON ARRAY: an object
       without id (or id 0) is created, with an id updated (only the fields given);
       answers 201 with the saved object (an array when several were posted). Nothing
       is saved when any object is refused: 400 with the message as a JSON string.
  GET  api/Status → [{"id", "name"}]

Every api/ call needs Authorization: Bearer <token>; a missing, unknown or expired token
answers 401 with an empty body and WWW-Authenticate: Bearer error="invalid_token".
Halo keeps a client's address and phone on its sites (main_site_id); users (contacts)
belong to a site. Clients and users carry no last-modified field, tickets carry
lastactiondate and last_update. Times are UTC ISO 8601 with a Z, as Halo writes them
(startdate/enddate filters accept either form). Halo publishes no request-rate
figure: a configurable window (`configure(limit=…, window=…)`, generous by default)
answers 429 with Retry-After past its limit.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from .autotask import Threshold, Throttled
from .common import Product, Request, Response, fake_company, fake_contact, register_product, seed_times

STATUSES = ((1, "New"), (2, "In Progress"), (3, "Action Required"), (4, "Waiting on User"),
            (5, "Waiting on Supplier"), (8, "Resolved"), (9, "Closed"))
PRIORITIES = (1, 2, 3, 4)  # 1 Critical … 4 Low (the default SLA's priorities)
LIST_KEYS = {"Client": "clients", "Site": "sites", "Users": "users", "Tickets": "tickets"}
ID_START = {"Client": 12, "Site": 40, "Users": 100, "Tickets": 1000}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Writable fields per resource (anything else in a posted object is ignored, as Halo does).
WRITABLE = {
    "Client": {"name", "inactive", "website", "colour", "toplevel_id", "notes"},
    "Site": {"name", "client_id", "inactive", "phonenumber", "delivery_address"},
    "Users": {"name", "firstname", "surname", "emailaddress", "phonenumber", "mobilenumber", "jobtitle",
              "site_id", "client_id", "inactive"},
    "Tickets": {"summary", "details", "status_id", "priority_id", "client_id", "site_id", "user_id",
                "tickettype_id"},
}


def halo_time(value: datetime) -> str:
    """UTC with a Z, as Halo writes dateoccurred/lastactiondate."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_halo_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Invalid(Exception):
    pass


@register_product
class HaloProduct(Product):
    kind = "halopsa"
    label = "HaloPSA"
    routes = [
        ("POST", r"(?i)/auth/token/?$", "token"),
        ("GET", r"(?i)/api/status/?$", "statuses"),
        *[(m, r"(?i)/api/(?P<resource>client|site|users|tickets)(?:/(?P<id>\d+))?/?$", "resource")
          for m in ("GET", "POST")],
    ]
    contacts_path = "(?i)/api/users"  # where contacts are listed (tests/test_framework.py faults it)
    CLIENT_ID = "opsmerge-emu-client"
    CLIENT_SECRET = "emu-halo-secret"  # noqa: S105 (the emulator's own fixed credential)
    TENANT = "opsmerge"

    # -- state ------------------------------------------------------------------------------
    def on_reset(self) -> None:
        self.clients = {self.CLIENT_ID: self.CLIENT_SECRET}
        self.tokens: dict[str, float] = {}  # token → monotonic expiry
        self.token_lifetime = 3600
        self.page_cap: int | None = None  # a server that silently serves fewer than page_size
        self.threshold = Threshold(limit=100_000, window=300.0)  # Halo publishes no figure: tests set one
        self.rows: dict[str, dict[int, dict]] = {name: {} for name in LIST_KEYS}
        self.next_id = dict(ID_START)
        self.version = 0
        self._cache: tuple | None = None

    def credentials(self) -> dict[str, str]:
        return {"client_id": self.CLIENT_ID, "client_secret": self.CLIENT_SECRET, "tenant": self.TENANT}

    def configure(self, *, limit: int | None = None, window: float | None = None,
                  token_lifetime: int | None = None) -> None:
        with self.lock:
            self.threshold = self.threshold.replaced(limit=limit, window=window)
            if token_lifetime is not None:
                self.token_lifetime = token_lifetime

    def expire_tokens(self) -> None:
        """Every issued token expires now (the next API call answers 401)."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def inspect(self) -> dict:
        with self.lock:
            return {"records": {"companies": len(self.rows["Client"]), "sites": len(self.rows["Site"]),
                                "contacts": len(self.rows["Users"]), "tickets": len(self.rows["Tickets"])},
                    "requests": dict(self.counts), "tokens_issued": len(self.tokens)}

    def fault_response(self, status: int, retry_after: int | None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if status == 401:
            return Response(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token"', **headers})
        if status == 429:
            headers.setdefault("Retry-After", "1")
            return Response(429, "Too many requests. Please try again later.", headers)
        messages = {400: "The request is invalid.", 403: "You do not have permission to do this.",
                    404: "The requested record could not be found."}
        return Response(status, json.dumps(messages.get(status, "An error has occurred.")), headers)

    def _add(self, resource: str, row: dict) -> dict:
        row["id"] = self.next_id[resource]
        self.next_id[resource] += 1
        self.rows[resource][row["id"]] = row
        self.version += 1
        return row

    def seed(self, *, companies: int = 20, contacts_per_company: int = 3, seed: int = 1,
             tickets_per_company: int = 0) -> None:
        """Deterministic data (fake_company/fake_contact): one client in seven has no website,
        no main-site phone or address (delivery_address null); one in nine is inactive;
        some users have no email or phone, some are inactive."""
        rng = random.Random(seed)
        with self.lock:
            first = len(self.rows["Client"])
            times = seed_times(companies, rng)
            for i in range(companies):
                n = first + i
                fake = fake_company(n, rng)
                partial = n % 7 == 3
                created = times[i] - timedelta(days=200)
                client = self._add("Client", {
                    "name": fake["name"], "toplevel_id": 1, "toplevel_name": "Customers", "inactive": n % 9 == 5,
                    "website": None if partial else fake["website"], "colour": None,
                    "datecreated": halo_time(created), "notes": None, "main_site_id": None, "main_site_name": None})
                site = self._add("Site", {
                    "name": "Main", "client_id": client["id"], "client_name": client["name"], "inactive": False,
                    "phonenumber": None if partial else fake["phone"],
                    "delivery_address": None if partial else {
                        "line1": fake["street"], "line2": "", "line3": fake["city"], "line4": fake["region"],
                        "postcode": fake["postcode"], "country": fake["country"]}})
                client["main_site_id"], client["main_site_name"] = site["id"], site["name"]
                for m in range(contacts_per_company):
                    person = fake_contact(n, m, fake["domain"], rng)
                    self._add("Users", {
                        "name": f"{person['first_name']} {person['last_name']}", "firstname": person["first_name"],
                        "surname": person["last_name"],
                        "emailaddress": None if (n + m) % 11 == 4 else person["email"],
                        "phonenumber": person["phone"] if m % 2 == 0 else None,
                        "mobilenumber": f"07700 9{rng.randint(0, 99999):05d}" if m % 3 == 1 else None,
                        "jobtitle": person["title"] or None, "site_id": site["id"], "site_name": site["name"],
                        "client_id": client["id"], "client_name": client["name"], "inactive": (n + m) % 13 == 7})
                for k in range(tickets_per_company):
                    opened = times[i] - timedelta(days=k + 1)
                    status = STATUSES[k % len(STATUSES)][0]
                    self._add("Tickets", {
                        "summary": f"Printer offline #{k + 1}", "details": None, "status_id": status,
                        "priority_id": PRIORITIES[k % 4], "client_id": client["id"], "client_name": client["name"],
                        "site_id": site["id"], "user_id": None, "user_name": None, "tickettype_id": 1,
                        "dateoccurred": halo_time(opened), "datecreated": halo_time(opened),
                        "lastactiondate": halo_time(opened + timedelta(hours=k)),
                        "last_update": halo_time(opened + timedelta(hours=k))})

    def mutate(self, *, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
        rng = random.Random(seed)
        changed = {"companies": 0, "contacts": 0}
        with self.lock:
            for resource, key, field in (("Client", "companies", "website"), ("Users", "contacts", "jobtitle")):
                ids = list(self.rows[resource])
                count = int(len(ids) * fraction)
                for item_id in rng.sample(ids, count) if count else ():
                    value = rng.randint(100, 999)
                    self.rows[resource][item_id][field] = (
                        f"https://www.changed{value}.example" if field == "website" else f"Changed {value}")
                    changed[key] += 1
            self.version += 1
        return changed

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=getattr(self, "clock_offset", 0))

    # -- test hooks (common.Product): neutral names, string ids ------------------------------
    _CLIENT_KEYS = {"name": "name", "website": "website"}
    _ADDRESS_KEYS = {"street": "line1", "city": "line3", "region": "line4", "postcode": "postcode", "country": "country"}
    _USER_KEYS = {"first_name": "firstname", "last_name": "surname", "email": "emailaddress", "phone": "phonenumber",
                  "mobile": "mobilenumber", "title": "jobtitle"}
    _TABLES = {"companies": "Client", "contacts": "Users", "tickets": "Tickets"}
    _STATUS_IDS = {"new": 1, "open": 2, "waiting": 4, "resolved": 8, "closed": 9}

    def edit_company(self, external_id: str, **fields) -> None:
        with self.lock:
            client = self.rows["Client"][int(external_id)]
            client.update({self._CLIENT_KEYS[k]: v for k, v in fields.items() if k in self._CLIENT_KEYS})
            if "active" in fields:
                client["inactive"] = not fields["active"]
            site = self.rows["Site"].get(client.get("main_site_id"))
            if site is not None:
                if "phone" in fields:
                    site["phonenumber"] = fields["phone"]
                address = {self._ADDRESS_KEYS[k]: v for k, v in fields.items() if k in self._ADDRESS_KEYS}
                if address:
                    site["delivery_address"] = {**(site.get("delivery_address") or {}), **address}
            self.version += 1

    def company_fields(self, external_id: str) -> dict:
        with self.lock:
            client = self.rows["Client"][int(external_id)]
            site = self.rows["Site"].get(client.get("main_site_id")) or {}
            address = site.get("delivery_address") or {}
            return {**{k: client.get(v) or "" for k, v in self._CLIENT_KEYS.items()},
                    **{k: address.get(v) or "" for k, v in self._ADDRESS_KEYS.items()},
                    "phone": site.get("phonenumber") or "", "active": not client.get("inactive")}

    def edit_contact(self, external_id: str, **fields) -> None:
        changes = {self._USER_KEYS[k]: v for k, v in fields.items() if k in self._USER_KEYS}
        if "active" in fields:
            changes["inactive"] = not fields["active"]
        self.touch("Users", int(external_id), **changes)

    def contact_fields(self, external_id: str) -> dict:
        with self.lock:
            row = self.rows["Users"][int(external_id)]
            return {**{k: row.get(v) or "" for k, v in self._USER_KEYS.items()},
                    "company_external_id": str(row["client_id"]), "active": not row.get("inactive")}

    def set_ticket_status(self, external_id: str, status: str) -> None:
        self.touch("Tickets", int(external_id), status_id=self._STATUS_IDS[status])

    def ids(self, table: str) -> list[str]:
        with self.lock:
            return [str(i) for i in self.rows[self._TABLES[table]]]

    def add_company(self, **fields) -> str:
        with self.lock:
            client = self._save("Client", None, {self._CLIENT_KEYS[k]: v or None for k, v in fields.items()
                                                 if k in self._CLIENT_KEYS})
            address = {self._ADDRESS_KEYS[k]: v for k, v in fields.items() if k in self._ADDRESS_KEYS}
            site = self.rows["Site"][client["main_site_id"]]
            site["phonenumber"] = fields.get("phone") or None
            site["delivery_address"] = {"line1": "", "line2": "", "line3": "", "line4": "", "postcode": "",
                                        "country": "", **address} if address else None
            return str(client["id"])

    def add_contact(self, company_external_id: str, **fields) -> str:
        with self.lock:
            client = self.rows["Client"][int(company_external_id)]
            changes = {self._USER_KEYS[k]: v or None for k, v in fields.items() if k in self._USER_KEYS}
            return str(self._save("Users", None, {**changes, "site_id": client["main_site_id"]})["id"])

    def touch(self, resource: str, item_id: int, **changes) -> None:
        """Change a record as a person in Halo would (tickets get a new lastactiondate)."""
        with self.lock:
            row = self.rows[resource][item_id]
            row.update(changes)
            if resource == "Tickets":
                row["lastactiondate"] = row["last_update"] = halo_time(self.now())
            self.version += 1

    # -- auth ---------------------------------------------------------------------------------
    def token(self, req: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        tenant = req.arg("tenant")
        if tenant is not None and tenant != self.TENANT:
            return Response(400, {"error": "invalid_request", "error_description": f"Unknown tenant '{tenant}'."})
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret") or not form.get("client_secret"):
            return Response(401, {"error": "invalid_client", "error_description": "Invalid client credentials."})
        scope = form.get("scope") or "all"
        if scope != "all" and not set(scope.split()) <= {"all", "read:tickets", "edit:tickets", "read:customers",
                                                          "edit:customers"}:
            return Response(400, {"error": "invalid_scope"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime,
                              "scope": scope})

    def _guard(self, req: Request) -> Response | None:
        """401 for a bad token, 429 past the window; None to go on."""
        header = req.headers.get("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        if self.tokens.get(token, 0.0) <= time.monotonic():
            return Response(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                           'error_description="The token is expired or invalid"'})
        try:
            self.threshold.take()
        except Throttled as over:
            self.counts["throttled"] += 1
            return Response(429, json.dumps("API rate limit exceeded. Please try again later."),
                            {"Retry-After": str(over.retry_after)})
        return None

    # -- resources ------------------------------------------------------------------------------
    def statuses(self, req: Request) -> Response:
        return self._guard(req) or Response(200, [{"id": i, "name": name} for i, name in STATUSES])

    def resource(self, req: Request) -> Response:
        refused = self._guard(req)
        if refused:
            return refused
        resource = next(name for name in LIST_KEYS if name.lower() == req.params["resource"].lower())
        self.counts[f"{req.method} {resource}"] += 1
        if req.method == "POST":
            return self._post(resource, req.json())
        if req.params.get("id"):
            row = self.rows[resource].get(int(req.params["id"]))
            if row is None:
                return Response(404, json.dumps(f"No {resource} record with id {req.params['id']}."))
            return Response(200, row)
        return self._list(resource, req)

    def _matching(self, resource: str, req: Request) -> list[int]:
        key = (resource, tuple(sorted((k.lower(), v[-1]) for k, v in req.query.items()
                                      if k.lower() not in ("page_no", "page_size", "pageinate", "count"))),
               self.version)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        search = (req.arg("search", ci=True) or "").lower()
        search_details = (req.arg("search_details", ci=True) or "").lower()
        inactive = (req.arg("includeinactive", ci=True) or "").lower() == "true"
        active = (req.arg("includeactive", ci=True) or "true").lower() != "false"
        client = req.arg("client_id", ci=True)
        ticket_ids = {int(t) for t in (req.arg("ticketids", ci=True) or "").split(",") if t.strip().isdigit()}
        date_field = (req.arg("datesearch", ci=True) or "").lower()
        start, end = req.arg("startdate", ci=True), req.arg("enddate", ci=True)
        try:
            start_at = parse_halo_time(start) if start else None
            end_at = parse_halo_time(end) if end else None
        except ValueError:
            raise Invalid("startdate/enddate must be dates (yyyy-mm-ddThh:mm:ss).") from None
        if date_field and date_field not in ("lastactiondate", "dateoccurred", "datecreated", "last_update"):
            raise Invalid(f"Unknown datesearch field '{date_field}'.")
        out = []
        for item_id, row in self.rows[resource].items():
            if resource != "Tickets" and ((row.get("inactive") and not inactive) or (not row.get("inactive")
                                                                                     and not active)):
                continue
            if client and str(row.get("client_id")) != client:
                continue
            if search and search not in (row.get("name") or row.get("summary") or "").lower():
                continue
            if search_details and search_details not in (row.get("details") or "").lower():
                continue
            if ticket_ids and item_id not in ticket_ids:
                continue
            if date_field and (start_at or end_at):
                stamp = row.get(date_field)
                if not stamp:
                    continue
                at = parse_halo_time(stamp)
                if (start_at and at < start_at) or (end_at and at > end_at):
                    continue
            out.append(item_id)
        if (req.arg("orderdesc", ci=True) or "").lower() == "true":
            out.reverse()  # newest first (ids grow with creation)
        self._cache = (key, out)
        return out

    def _list(self, resource: str, req: Request) -> Response:
        try:
            ids = self._matching(resource, req)
        except Invalid as exc:
            return Response(400, json.dumps(str(exc)))
        rows = self.rows[resource]
        if (req.arg("pageinate", ci=True) or "").lower() == "true":
            try:
                size = int(req.arg("page_size", "50", ci=True))
                page = int(req.arg("page_no", "1", ci=True))
            except ValueError:
                return Response(400, json.dumps("page_size and page_no must be numbers."))
            if size < 1 or page < 1:
                return Response(400, json.dumps("page_size and page_no must be at least 1."))
            size = min(size, self.page_cap or size)
            chosen = ids[(page - 1) * size: page * size]
            return Response(200, {"page_no": page, "page_size": size, "record_count": len(ids),
                                  LIST_KEYS[resource]: [rows[i] for i in chosen]})
        count = int(req.arg("count", "0", ci=True) or 0)
        chosen = ids[:count] if count > 0 else ids
        return Response(200, {"record_count": len(ids), LIST_KEYS[resource]: [rows[i] for i in chosen]})

    # -- writes ---------------------------------------------------------------------------------
    def _post(self, resource: str, body) -> Response:
        if not isinstance(body, list) or not body or not all(isinstance(o, dict) for o in body):
            return Response(400, json.dumps("The request body must be an array of objects."))
        plans = []
        try:
            for obj in body:
                item_id = obj.get("id") or 0
                current = self.rows[resource].get(item_id) if item_id else None
                if item_id and item_id > 0 and current is None:
                    raise Invalid(f"No {resource} record with id {item_id}.")
                changes = {k: v for k, v in obj.items() if k in WRITABLE[resource]}
                merged = {**(current or {}), **changes}
                getattr(self, f"_check_{resource.lower()}")(merged, creating=current is None)
                plans.append((current, changes))
        except Invalid as exc:
            return Response(400, json.dumps(str(exc)))
        saved = [self._save(resource, current, changes) for current, changes in plans]
        return Response(201, saved[0] if len(saved) == 1 else saved)

    def _save(self, resource: str, current: dict | None, changes: dict) -> dict:
        now = halo_time(self.now())
        if current is None:
            defaults = {"Client": {"inactive": False, "website": None, "colour": None, "toplevel_id": 1,
                                   "toplevel_name": "Customers", "notes": None, "datecreated": now},
                        "Site": {"inactive": False, "phonenumber": None, "delivery_address": None},
                        "Users": {"inactive": False, "emailaddress": None, "phonenumber": None, "mobilenumber": None,
                                  "jobtitle": None, "firstname": None, "surname": None},
                        "Tickets": {"details": None, "status_id": 1, "priority_id": 3, "user_id": None,
                                    "tickettype_id": 1, "dateoccurred": now, "datecreated": now}}[resource]
            row = self._add(resource, {**defaults, **changes})
        else:
            row = current
            row.update(changes)
            self.version += 1
        if resource == "Client" and row.get("main_site_id") is None:  # Halo makes a "Main" site for a new client
            site = self._add("Site", {"name": "Main", "client_id": row["id"], "client_name": row["name"],
                                      "inactive": False, "phonenumber": None, "delivery_address": None})
            row["main_site_id"], row["main_site_name"] = site["id"], site["name"]
        if resource in ("Site", "Users", "Tickets") and row.get("client_id") in self.rows["Client"]:
            row["client_name"] = self.rows["Client"][row["client_id"]]["name"]
        if resource == "Users":
            site = self.rows["Site"][row["site_id"]]
            row["site_name"], row["client_id"], row["client_name"] = site["name"], site["client_id"], site["client_name"]
            if not row.get("name"):
                row["name"] = " ".join(p for p in (row.get("firstname"), row.get("surname")) if p)
        if resource == "Tickets":
            user = self.rows["Users"].get(row.get("user_id") or 0)
            row["user_name"] = user["name"] if user else None
            row["site_id"] = row.get("site_id") or self.rows["Client"][row["client_id"]]["main_site_id"]
            row["lastactiondate"] = row["last_update"] = now
        return row

    @staticmethod
    def _text(row: dict, name: str, label: str, limit: int) -> None:
        value = row.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise Invalid(f"{label} must be text of at most {limit} characters.")

    def _check_client(self, row: dict, *, creating: bool) -> None:
        if not isinstance(row.get("name"), str) or not row["name"].strip():
            raise Invalid("Please enter a name for the Customer.")
        self._text(row, "name", "The Customer name", 255)
        self._text(row, "website", "The website", 500)
        if "inactive" in row and not isinstance(row["inactive"], bool):
            raise Invalid("inactive must be true or false.")

    def _check_site(self, row: dict, *, creating: bool) -> None:
        if row.get("client_id") not in self.rows["Client"]:
            raise Invalid("Please select a Customer for the Site.")
        if not (row.get("name") or "").strip():
            raise Invalid("Please enter a name for the Site.")
        self._text(row, "phonenumber", "The phone number", 50)
        address = row.get("delivery_address")
        if address is not None and not isinstance(address, dict):
            raise Invalid("delivery_address must be an address object.")

    def _check_users(self, row: dict, *, creating: bool) -> None:
        if row.get("site_id") not in self.rows["Site"]:
            raise Invalid("Please select a Site for the User.")
        if not (row.get("name") or row.get("firstname") or row.get("surname") or "").strip():
            raise Invalid("Please enter a name for the User.")
        email = row.get("emailaddress")
        if email and not _EMAIL.match(str(email)):
            raise Invalid(f"'{email}' is not a valid email address.")
        for name, label in (("phonenumber", "The phone number"), ("mobilenumber", "The mobile number")):
            self._text(row, name, label, 50)
        self._text(row, "jobtitle", "The job title", 100)

    def _check_tickets(self, row: dict, *, creating: bool) -> None:
        if not (row.get("summary") or "").strip():
            raise Invalid("Please enter a Summary for the Ticket.")
        if row.get("client_id") not in self.rows["Client"]:
            raise Invalid("Please select a Customer for the Ticket.")
        user = row.get("user_id")
        if user and self.rows["Users"].get(user, {}).get("client_id") != row["client_id"]:
            raise Invalid("The User does not belong to the Ticket's Customer.")
        if row.get("status_id", 1) not in {s for s, _ in STATUSES}:
            raise Invalid(f"Unknown status_id {row.get('status_id')}.")
        if row.get("priority_id", 3) not in PRIORITIES:
            raise Invalid(f"Unknown priority_id {row.get('priority_id')}.")
