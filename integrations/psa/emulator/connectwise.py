"""ConnectWise PSA (Manage) REST API v3 subset, from ConnectWise's public developer docs:

  base  /v4_6_release/apis/3.0  (under the emulator's /connectwise prefix)
  auth  Authorization: Basic base64("<companyId>+<publicKey>:<privateKey>") and a clientId header
  GET   /system/info                                  cheap authenticated call
  GET   /company/companies          ?conditions=&page=&pageSize=&orderBy=   (Link header paging)
  GET   /company/companies/{id}     POST /company/companies   PATCH /company/companies/{id} (JSON Patch)
  GET   /company/contacts           ?conditions=  (company/id=, lastUpdated>[...])
  POST  /company/contacts           PATCH /company/contacts/{id}
  GET   /service/tickets            ?conditions= (id in (...), externalXRef="...", lastUpdated>=[...])
  GET   /service/tickets/{id}       POST /service/tickets   PATCH /service/tickets/{id}
  GET   /company/companies/count    /company/contacts/count   {"count": n}

Paging: page (1-based) and pageSize (default 25, max 1000); the answer carries a Link
header with rel="next" (absent on the last page) and rel="last". Conditions: the
documented grammar subset OpsMerge uses — comparisons (= != < <= > >=) of fields
(nested with "/"), "in (..)", "like", joined with "and"/"or"; strings in "double
quotes", datetimes in [brackets], numbers, true/false/null. Errors are ConnectWise's
JSON: {"code", "message", "errors": [{"code", "message", "resource", "field"}]}.
"""

from __future__ import annotations

import base64
import random
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .common import (
    Product,
    Request,
    Response,
    fake_company,
    fake_contact,
    iso,
    parse_iso,
    register_product,
    seed_times,
    utcnow,
)

API = "/v4_6_release/apis/3.0"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
COMPANY_STATUSES = {1: "Active", 2: "Inactive"}
COMPANY_TYPES = {1: "Client", 2: "Prospect", 3: "Vendor"}
TICKET_STATUSES = {1: "New", 2: "In Progress", 3: "Waiting Customer", 4: "Resolved", 5: ">Closed"}
PRIORITIES = {1: "Priority 1 - Emergency Response", 2: "Priority 2 - Quick Response",
              3: "Priority 3 - Normal Response", 4: "Priority 4 - Schedule Maintenance"}
COUNTRIES = {1: "United States", 2: "United Kingdom", 3: "Canada", 4: "Germany", 5: "Australia"}
COUNTRY_IDS = {"US": 1, "GB": 2, "CA": 3, "DE": 4, "AU": 5}
BOARD = {"id": 1, "name": "Help Desk"}
SITE = {"id": 1, "name": "Main"}

_TOKEN = re.compile(r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<dt>\[[^\]]*\])
    |(?P<op><=|>=|!=|=|<|>)|(?P<word>[A-Za-z_][\w/]*)|(?P<num>-?\d+(?:\.\d+)?))""", re.X)


class ConditionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionError(f"unexpected character at {pos}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def parse_conditions(text: str):
    """A predicate over a record dict, for ConnectWise's `conditions` grammar subset."""
    tokens = _tokens(text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def value():
        kind, raw = take()
        if kind == "str":
            return raw[1:-1].replace('\\"', '"')
        if kind == "dt":
            try:
                return parse_iso(raw[1:-1])
            except ValueError:
                raise ConditionError(f"bad datetime {raw}") from None
        if kind == "num":
            return float(raw) if "." in raw else int(raw)
        if kind == "word" and raw.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[raw.lower()]
        raise ConditionError(f"expected a value, got {raw!r}")

    def comparison():
        kind, raw = peek()
        if kind == "lp":
            take()
            inner = disjunction()
            if take()[0] != "rp":
                raise ConditionError("missing )")
            return inner
        if kind != "word":
            raise ConditionError(f"expected a field, got {raw!r}")
        field = take()[1]
        kind, op = take() if pos < len(tokens) else (None, None)
        if kind == "word" and op.lower() in ("in", "not"):
            negate = op.lower() == "not"
            if negate and take()[1].lower() != "in":
                raise ConditionError("expected in")
            if take()[0] != "lp":
                raise ConditionError("expected (")
            values = [value()]
            while peek()[0] == "comma":
                take()
                values.append(value())
            if take()[0] != "rp":
                raise ConditionError("missing )")
            return lambda r: (_get(r, field) in values) != negate
        if kind == "word" and op.lower() == "like":
            pattern = re.compile("^" + re.escape(str(value())).replace(r"\*", ".*").replace("%", ".*") + "$", re.I)
            return lambda r: pattern.match(str(_get(r, field) or "")) is not None
        if kind != "op":
            raise ConditionError(f"expected an operator after {field}")
        operand = value()
        return lambda r: _compare(_get(r, field), op, operand)

    def conjunction():
        left = comparison()
        while peek()[0] == "word" and peek()[1].lower() == "and":
            take()
            right = comparison()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def disjunction():
        left = conjunction()
        while peek()[0] == "word" and peek()[1].lower() == "or":
            take()
            right = conjunction()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    predicate = disjunction()
    if pos != len(tokens):
        raise ConditionError(f"unexpected {tokens[pos][1]!r}")
    return predicate


def _get(record: dict, path: str) -> Any:
    if path == "lastUpdated":
        path = "_info/lastUpdated"
    value: Any = record
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, str) and path.endswith(("lastUpdated", "dateEntered")):
        return parse_iso(value)
    return value


def _compare(left, op: str, right) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False


def cw_error(status: int, code: str, message: str, errors: list[dict] | None = None, headers=None) -> Response:
    body: dict = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return Response(status, body, headers or {})


def invalid(resource: str, errors: list[tuple[str, str, str]]) -> Response:
    return cw_error(400, "InvalidObject", f"{resource} object is invalid",
                    [{"code": c, "message": m, "resource": resource, "field": f} for c, f, m in errors])


@register_product
class ConnectWise(Product):
    kind = "connectwise"
    label = "ConnectWise PSA"
    routes = [
        ("GET", rf"^{API}/system/info$", "system_info"),
        ("GET", rf"^{API}/company/companies/count$", "count_companies"),
        ("GET", rf"^{API}/company/companies$", "list_companies"),
        ("POST", rf"^{API}/company/companies$", "create_company"),
        ("GET", rf"^{API}/company/companies/(?P<id>\d+)$", "get_company"),
        ("PATCH", rf"^{API}/company/companies/(?P<id>\d+)$", "patch_company"),
        ("GET", rf"^{API}/company/contacts/count$", "count_contacts"),
        ("GET", rf"^{API}/company/contacts$", "list_contacts"),
        ("POST", rf"^{API}/company/contacts$", "create_contact"),
        ("GET", rf"^{API}/company/contacts/(?P<id>\d+)$", "get_contact"),
        ("PATCH", rf"^{API}/company/contacts/(?P<id>\d+)$", "patch_contact"),
        ("GET", rf"^{API}/service/tickets$", "list_tickets"),
        ("POST", rf"^{API}/service/tickets$", "create_ticket"),
        ("GET", rf"^{API}/service/tickets/(?P<id>\d+)$", "get_ticket"),
        ("PATCH", rf"^{API}/service/tickets/(?P<id>\d+)$", "patch_ticket"),
    ]

    company_id = "opsmerge_demo"
    public_key = "cwPublicKey0001"
    private_key = "cwPrivateKey0001"  # the emulator's own fake keys
    client_id = "7a0f2c7e-0000-4000-8000-00000000c0de"

    def on_reset(self) -> None:
        self.page_size_default = DEFAULT_PAGE_SIZE
        # Filtered listings by (table, conditions, order), so paging through a filtered
        # listing filters once (a database would use an index); any write clears it.
        self._list_cache: dict[tuple, list] = {}
        self.clock_offset = 0  # tests move "now" forward to order lastUpdated

    def credentials(self) -> dict[str, str]:
        return {"company_id": self.company_id, "public_key": self.public_key, "private_key": self.private_key,
                "client_id": self.client_id}

    # -- auth & faults -----------------------------------------------------------------
    def fault_response(self, status: int, retry_after: int | None) -> Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {401: ("Unauthorized", "Incorrect public/private key"),
                403: ("Forbidden", "You do not have security permission to perform this action."),
                404: ("NotFound", "The requested resource was not found."),
                400: ("InvalidObject", "The request body could not be read."),
                429: ("TooManyRequests", "Rate limit exceeded. Please retry after the time given in Retry-After."),
                }.get(status, ("ServerError", "An error occurred, please try again."))
        return cw_error(status, *body, headers=headers)

    def _authorised(self, req: Request) -> Response | None:
        header = req.headers.get("Authorization") or ""
        if not req.headers.get("clientId"):
            return cw_error(401, "Unauthorized", "clientId header is required. See developer.connectwise.com/ClientID")
        if not header.startswith("Basic "):
            return cw_error(401, "Unauthorized", "Incorrect public/private key")
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return cw_error(401, "Unauthorized", "Incorrect public/private key")
        if user != f"{self.company_id}+{self.public_key}" or password != self.private_key:
            return cw_error(401, "Unauthorized", "Incorrect public/private key")
        return None

    def dispatch(self, req: Request) -> Response:
        if req.method != "GET":
            self.changed()
        if req.path.startswith(API):
            denied = self._authorised(req)
            if denied is not None:
                with self.lock:
                    self.counts["total"] += 1
                return denied
        return super().dispatch(req)

    def now(self) -> datetime:
        from datetime import timedelta

        return utcnow().replace(microsecond=0) + timedelta(seconds=getattr(self, "clock_offset", 0))

    # -- seed ---------------------------------------------------------------------------
    def _company_record(self, cid: int, fields: dict, when: datetime, identifier: str) -> dict:
        country = fields.get("country") or ""
        return {
            "id": cid, "identifier": identifier, "name": fields["name"],
            "status": {"id": 1, "name": "Active"}, "deletedFlag": False,
            "types": [{"id": 1, "name": "Client"}],
            "addressLine1": fields.get("street", ""), "addressLine2": "", "city": fields.get("city", ""),
            "state": fields.get("region", ""), "zip": fields.get("postcode", ""),
            "country": ({"id": COUNTRY_IDS[country], "name": COUNTRIES[COUNTRY_IDS[country]]}
                        if country in COUNTRY_IDS else None),
            "phoneNumber": fields.get("phone", ""), "faxNumber": "", "website": fields.get("website", ""),
            "site": dict(SITE), "_info": {"lastUpdated": iso(when), "dateEntered": iso(when), "updatedBy": "seed"},
        }

    def _contact_record(self, cid: int, company: dict, fields: dict, when: datetime) -> dict:
        items = []
        if fields.get("email"):
            items.append({"id": 1, "type": {"id": 1, "name": "Email"}, "value": fields["email"], "defaultFlag": True,
                          "communicationType": "Email"})
        if fields.get("phone"):
            items.append({"id": 2, "type": {"id": 2, "name": "Direct"}, "value": fields["phone"],
                          "defaultFlag": True, "communicationType": "Phone"})
        if fields.get("mobile"):
            items.append({"id": 3, "type": {"id": 4, "name": "Mobile"}, "value": fields["mobile"],
                          "defaultFlag": False, "communicationType": "Phone"})
        return {"id": cid, "firstName": fields.get("first_name", ""), "lastName": fields.get("last_name", ""),
                "company": {"id": company["id"], "identifier": company["identifier"], "name": company["name"]},
                "title": fields.get("title", ""), "inactiveFlag": False, "communicationItems": items,
                "_info": {"lastUpdated": iso(when), "dateEntered": iso(when), "updatedBy": "seed"}}

    def seed(self, *, companies: int, contacts_per_company: int, seed: int = 1) -> None:
        self.changed()
        rng = random.Random(seed)
        with self.lock:
            table, contacts = self.store.table("companies"), self.store.table("contacts")
            times = seed_times(companies, rng)
            first = len(table)
            for n in range(first, first + companies):
                fields = fake_company(n, rng)
                cid = self.store.next_id("companies", 250)
                company = self._company_record(cid, fields, times[n - first], f"C{cid:06d}")
                table[cid] = company
                for m in range(contacts_per_company):
                    kid = self.store.next_id("contacts", 1000)
                    contacts[kid] = self._contact_record(kid, company, fake_contact(n, m, fields["domain"], rng),
                                                         times[n - first])

    def mutate(self, *, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
        self.changed()
        rng = random.Random(seed)
        now = iso(self.now())
        with self.lock:
            companies = list(self.store.table("companies").values())
            contacts = list(self.store.table("contacts").values())
            changed = rng.sample(companies, max(1, int(len(companies) * fraction))) if companies else []
            for company in changed:
                company["phoneNumber"] = f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
                company["_info"] = {**company["_info"], "lastUpdated": now, "updatedBy": "mutate"}
            people = rng.sample(contacts, max(1, int(len(contacts) * fraction))) if contacts else []
            for contact in people:
                contact["title"] = rng.choice(("Director", "Manager", "Coordinator", "Analyst")) + f" {seed}"
                contact["_info"] = {**contact["_info"], "lastUpdated": now, "updatedBy": "mutate"}
        return {"companies": len(changed), "contacts": len(people)}

    # -- listing ---------------------------------------------------------------------------
    def _page(self, req: Request, rows: list[dict]) -> Response:
        try:
            page = int(req.arg("page", "1", ci=True))
            size = int(req.arg("pageSize", str(self.page_size_default), ci=True))
        except ValueError:
            return cw_error(400, "InvalidObject", "page and pageSize must be integers")
        if page < 1 or size < 1:
            return cw_error(400, "InvalidObject", "page and pageSize must be positive")
        size = min(size, MAX_PAGE_SIZE)
        last = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size: page * size]
        links = []
        query = {k: v[-1] for k, v in req.query.items() if k.lower() not in ("page", "pagesize")}
        path = req.base_url + req.path

        def link(p: int, rel: str) -> str:
            return f'<{path}?{urlencode({**query, "pageSize": size, "page": p})}>; rel="{rel}"'

        if page < last:
            links.append(link(page + 1, "next"))
        if page > 1:
            links.append(link(page - 1, "prev"))
            links.append(link(1, "first"))
        links.append(link(last, "last"))
        return Response(200, chunk, {"Link": ", ".join(links)})

    def changed(self) -> None:
        with self.lock:
            self._list_cache.clear()

    def _filtered(self, req: Request, table: str):
        conditions = req.arg("conditions", ci=True)
        order = req.arg("orderBy", "id asc", ci=True)
        key = (table, conditions, order)
        if key not in self._list_cache:
            rows, error = self._filter(table, conditions, order)
            if error is not None:
                return None, error
            if len(self._list_cache) > 16:
                self._list_cache.clear()
            self._list_cache[key] = rows
        return self._list_cache[key], None

    def _filter(self, table: str, conditions: str | None, order: str | None):
        rows = list(self.store.table(table).values())
        if conditions:
            try:
                predicate = parse_conditions(conditions)
            except ConditionError as exc:
                return None, cw_error(400, "InvalidObject", f"conditions: {exc}")
            rows = [r for r in rows if predicate(r)]
        order = (order or "id asc").split()
        key, desc = order[0], len(order) > 1 and order[1].lower() == "desc"
        if key != "id" or desc:  # tables keep id order already (ids only grow)
            rows.sort(key=lambda r: (_get(r, key) is None, _get(r, key) or 0), reverse=desc)
        return rows, None

    def system_info(self, req: Request) -> Response:
        return Response(200, {"version": "v2025.1.12345", "isCloud": True, "serverTimeZone": "Eastern Standard Time",
                              "cloudRegion": "NA"})

    def list_companies(self, req: Request) -> Response:
        rows, error = self._filtered(req, "companies")
        return error or self._page(req, rows)

    def count_companies(self, req: Request) -> Response:
        rows, error = self._filtered(req, "companies")
        return error or Response(200, {"count": len(rows)})

    def list_contacts(self, req: Request) -> Response:
        rows, error = self._filtered(req, "contacts")
        return error or self._page(req, rows)

    def count_contacts(self, req: Request) -> Response:
        rows, error = self._filtered(req, "contacts")
        return error or Response(200, {"count": len(rows)})

    def list_tickets(self, req: Request) -> Response:
        rows, error = self._filtered(req, "tickets")
        return error or self._page(req, rows)

    def _one(self, table: str, req: Request, label: str) -> tuple[dict | None, Response | None]:
        record = self.store.table(table).get(int(req.params["id"]))
        if record is None:
            return None, cw_error(404, "NotFound", f"{label} ID {req.params['id']} was not found.")
        return record, None

    def get_company(self, req: Request) -> Response:
        record, error = self._one("companies", req, "Company")
        return error or Response(200, record)

    def get_contact(self, req: Request) -> Response:
        record, error = self._one("contacts", req, "Contact")
        return error or Response(200, record)

    def get_ticket(self, req: Request) -> Response:
        record, error = self._one("tickets", req, "Ticket")
        return error or Response(200, record)

    # -- writes ------------------------------------------------------------------------------
    def _validate_company(self, record: dict, *, creating: bool) -> list[tuple[str, str, str]]:
        errors = []
        country = record.get("country")
        if isinstance(country, dict) and country.get("id") is not None:
            if country["id"] not in COUNTRIES:
                errors.append(("InvalidField", "country/id", f"Country {country['id']} not found."))
            else:
                record["country"] = {"id": country["id"], "name": COUNTRIES[country["id"]]}
        name = record.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(("MissingRequiredField", "name", "The name field is required."))
        elif len(name) > 50:
            errors.append(("MaxLengthField", "name", "The field name must be a string with a maximum length of 50."))
        identifier = record.get("identifier")
        if not isinstance(identifier, str) or not identifier.strip():
            errors.append(("MissingRequiredField", "identifier", "The identifier field is required."))
        elif len(identifier) > 25:
            errors.append(("MaxLengthField", "identifier",
                           "The field identifier must be a string with a maximum length of 25."))
        elif any(c["identifier"].lower() == identifier.lower() and c["id"] != record.get("id")
                 for c in self.store.table("companies").values()):
            errors.append(("InvalidField", "identifier", "The identifier is already in use."))
        if creating and not (record.get("site") or {}).get("id") and not (record.get("site") or {}).get("name"):
            errors.append(("MissingRequiredField", "site", "The site field is required."))
        for key, limit in (("city", 50), ("zip", 12), ("phoneNumber", 30), ("website", 255), ("addressLine1", 50)):
            if len(str(record.get(key) or "")) > limit:
                errors.append(("MaxLengthField", key,
                               f"The field {key} must be a string with a maximum length of {limit}."))
        status = record.get("status") or {}
        if status.get("id") is not None and int(status["id"]) not in COMPANY_STATUSES:
            errors.append(("InvalidField", "status/id", f"Company Status {status['id']} not found."))
        return errors

    def create_company(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return cw_error(400, "InvalidObject", "company object is invalid")
        when = self.now()
        record = self._company_record(0, {"name": body.get("name")}, when, body.get("identifier") or "")
        record.update({k: v for k, v in body.items() if k not in ("id", "_info")})
        record["status"] = {"id": (body.get("status") or {}).get("id", 1),
                            "name": COMPANY_STATUSES.get((body.get("status") or {}).get("id", 1), "?")}
        errors = self._validate_company(record, creating=True)
        if errors:
            return invalid("company", errors)
        record["id"] = self.store.next_id("companies", 250)
        self.store.table("companies")[record["id"]] = record
        return Response(201, record)

    def _patch(self, record: dict, ops, resource: str) -> list[tuple[str, str, str]] | Response:
        if not isinstance(ops, list):
            return cw_error(400, "InvalidObject", "A JSON Patch document (an array of operations) is expected.")
        for op in ops:
            if not isinstance(op, dict) or op.get("op") not in ("replace", "add", "remove") or not op.get("path"):
                return cw_error(400, "InvalidObject", "Invalid patch operation.")
            path = [p for p in str(op["path"]).split("/") if p]
            target = record
            for part in path[:-1]:
                target = target.setdefault(part, {}) if isinstance(target.get(part), dict) or part not in target \
                    else target[part]
            if op["op"] == "remove":
                target.pop(path[-1], None)
            else:
                target[path[-1]] = op.get("value")
        return []

    def patch_company(self, req: Request) -> Response:
        record, error = self._one("companies", req, "Company")
        if error:
            return error
        candidate = json_copy(record)
        result = self._patch(candidate, req.json(), "company")
        if isinstance(result, Response):
            return result
        if "status" in candidate and isinstance(candidate["status"], dict):
            sid = candidate["status"].get("id")
            candidate["status"]["name"] = COMPANY_STATUSES.get(sid, candidate["status"].get("name"))
        errors = self._validate_company(candidate, creating=False)
        if errors:
            return invalid("company", errors)
        candidate["_info"] = {**record["_info"], "lastUpdated": iso(self.now()), "updatedBy": "api"}
        self.store.table("companies")[record["id"]] = candidate
        return Response(200, candidate)

    def _validate_contact(self, record: dict) -> list[tuple[str, str, str]]:
        errors = []
        if not str(record.get("firstName") or "").strip():
            errors.append(("MissingRequiredField", "firstName", "The firstName field is required."))
        for key, limit in (("firstName", 30), ("lastName", 30), ("title", 100)):
            if len(str(record.get(key) or "")) > limit:
                errors.append(("MaxLengthField", key,
                               f"The field {key} must be a string with a maximum length of {limit}."))
        for item in record.get("communicationItems") or []:
            if item.get("communicationType") == "Email" and "@" not in str(item.get("value") or ""):
                errors.append(("InvalidField", "communicationItems", "The email address is not valid."))
        company_id = (record.get("company") or {}).get("id")
        if company_id is not None and int(company_id) not in self.store.table("companies"):
            errors.append(("InvalidField", "company/id", f"Company {company_id} not found."))
        return errors

    def create_contact(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return cw_error(400, "InvalidObject", "contact object is invalid")
        company_id = (body.get("company") or {}).get("id")
        company = self.store.table("companies").get(int(company_id)) if str(company_id or "").isdigit() else None
        record = {k: v for k, v in body.items() if k not in ("id", "_info")}
        record.setdefault("inactiveFlag", False)
        record.setdefault("communicationItems", [])
        errors = self._validate_contact(record)
        if errors:
            return invalid("contact", errors)
        if company is not None:
            record["company"] = {"id": company["id"], "identifier": company["identifier"], "name": company["name"]}
        when = iso(self.now())
        record["_info"] = {"lastUpdated": when, "dateEntered": when, "updatedBy": "api"}
        record["id"] = self.store.next_id("contacts", 1000)
        self.store.table("contacts")[record["id"]] = record
        return Response(201, record)

    def patch_contact(self, req: Request) -> Response:
        record, error = self._one("contacts", req, "Contact")
        if error:
            return error
        candidate = json_copy(record)
        result = self._patch(candidate, req.json(), "contact")
        if isinstance(result, Response):
            return result
        errors = self._validate_contact(candidate)
        if errors:
            return invalid("contact", errors)
        candidate["_info"] = {**record["_info"], "lastUpdated": iso(self.now()), "updatedBy": "api"}
        self.store.table("contacts")[record["id"]] = candidate
        return Response(200, candidate)

    def create_ticket(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return cw_error(400, "InvalidObject", "ticket object is invalid")
        errors = []
        summary = body.get("summary")
        if not str(summary or "").strip():
            errors.append(("MissingRequiredField", "summary", "The summary field is required."))
        elif len(summary) > 100:
            errors.append(("MaxLengthField", "summary",
                           "The field summary must be a string with a maximum length of 100."))
        company_id = (body.get("company") or {}).get("id")
        if company_id is None or int(company_id) not in self.store.table("companies"):
            errors.append(("InvalidField", "company/id", f"Company {company_id} not found."))
        status_id = (body.get("status") or {}).get("id", 1)
        if status_id not in TICKET_STATUSES:
            errors.append(("NotFound", "status/id", f"Service Status {status_id} not found for Service Board 1"))
        if errors:
            return invalid("ticket", errors)
        when = iso(self.now())
        company = self.store.table("companies")[int(company_id)]
        record = {**{k: v for k, v in body.items() if k not in ("id", "_info")},
                  "company": {"id": company["id"], "identifier": company["identifier"], "name": company["name"]},
                  "board": body.get("board") or dict(BOARD),
                  "status": {"id": status_id, "name": TICKET_STATUSES[status_id]},
                  "priority": {"id": (body.get("priority") or {}).get("id", 3),
                               "name": PRIORITIES.get((body.get("priority") or {}).get("id", 3), "")},
                  "closedFlag": False, "_info": {"lastUpdated": when, "dateEntered": when, "updatedBy": "api"}}
        record["id"] = self.store.next_id("tickets", 5000)
        self.store.table("tickets")[record["id"]] = record
        return Response(201, record)

    def patch_ticket(self, req: Request) -> Response:
        record, error = self._one("tickets", req, "Ticket")
        if error:
            return error
        candidate = json_copy(record)
        result = self._patch(candidate, req.json(), "ticket")
        if isinstance(result, Response):
            return result
        status_id = (candidate.get("status") or {}).get("id")
        if status_id not in TICKET_STATUSES:
            return invalid("ticket", [("NotFound", "status/id",
                                       f"Service Status {status_id} not found for Service Board 1")])
        candidate["status"]["name"] = TICKET_STATUSES[status_id]
        candidate["closedFlag"] = status_id in (4, 5)
        candidate["_info"] = {**record["_info"], "lastUpdated": iso(self.now()), "updatedBy": "api"}
        self.store.table("tickets")[record["id"]] = candidate
        return Response(200, candidate)

    # -- test hooks (common.Product) ---------------------------------------------------------------
    _COMPANY_KEYS = {"name": "name", "phone": "phoneNumber", "website": "website", "street": "addressLine1",
                     "city": "city", "region": "state", "postcode": "zip"}
    _CONTACT_KEYS = {"first_name": "firstName", "last_name": "lastName", "title": "title"}

    def edit_company(self, external_id: str, **fields) -> None:
        changes = {self._COMPANY_KEYS[k]: v for k, v in fields.items() if k in self._COMPANY_KEYS}
        if "active" in fields:
            changes["status"] = {"id": 1 if fields["active"] else 2, "name": "Active" if fields["active"] else "Inactive"}
        self.touch("companies", int(external_id), **changes)

    def company_fields(self, external_id: str) -> dict:
        with self.lock:
            r = self.store.table("companies")[int(external_id)]
            out = {k: r.get(v) or "" for k, v in self._COMPANY_KEYS.items()}
            out["active"] = (r.get("status") or {}).get("id") == 1 and not r.get("deletedFlag")
            return out

    def edit_contact(self, external_id: str, **fields) -> None:
        with self.lock:
            record = self.store.table("contacts")[int(external_id)]
            changes = {self._CONTACT_KEYS[k]: v for k, v in fields.items() if k in self._CONTACT_KEYS}
            if "email" in fields:
                items = [i for i in record.get("communicationItems") or [] if i.get("communicationType") != "Email"]
                changes["communicationItems"] = [*items, {"type": {"id": 1, "name": "Email"}, "value": fields["email"],
                                                          "communicationType": "Email", "defaultFlag": True}]
            self.touch("contacts", int(external_id), **changes)

    def contact_fields(self, external_id: str) -> dict:
        with self.lock:
            r = self.store.table("contacts")[int(external_id)]
            email = next((i["value"] for i in r.get("communicationItems") or []
                          if i.get("communicationType") == "Email"), "")
            return {**{k: r.get(v) or "" for k, v in self._CONTACT_KEYS.items()}, "email": email,
                    "company_external_id": str((r.get("company") or {}).get("id") or "")}

    def set_ticket_status(self, external_id: str, status: str) -> None:
        sid = {"new": 1, "open": 2, "waiting": 3, "resolved": 4, "closed": 5}[status]
        self.touch("tickets", int(external_id), status={"id": sid, "name": TICKET_STATUSES[sid]},
                   closedFlag=sid in (4, 5))

    def add_company(self, **fields) -> str:
        self.changed()
        with self.lock:
            cid = self.store.next_id("companies", 250)
            self.store.table("companies")[cid] = self._company_record(cid, fields, self.now(), f"C{cid:06d}")
            return str(cid)

    def add_contact(self, company_external_id: str, **fields) -> str:
        self.changed()
        with self.lock:
            company = self.store.table("companies")[int(company_external_id)]
            kid = self.store.next_id("contacts", 1000)
            self.store.table("contacts")[kid] = self._contact_record(kid, company, fields, self.now())
            return str(kid)

    def ids(self, table: str) -> list[str]:
        with self.lock:
            return [str(k) for k in self.store.table(table)]

    def touch(self, table: str, record_id: int, **changes) -> dict:
        """Change a stored record as a ConnectWise user would (bumps lastUpdated)."""
        self.changed()
        with self.lock:
            record = self.store.table(table)[int(record_id)]
            for key, value in changes.items():
                record[key] = value
            record["_info"] = {**record["_info"], "lastUpdated": iso(self.now()), "updatedBy": "technician"}
            return record


def json_copy(record: dict) -> dict:
    import json

    return json.loads(json.dumps(record))
