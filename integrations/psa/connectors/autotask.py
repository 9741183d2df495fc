"""Autotask PSA (Datto/Kaseya) over its REST API v1.0.

Connecting: the base URL is the zone-discovery host (https://webservices.autotask.net
by default). The connector first asks GET atservicesrest/v1.0/zoneInformation?user=
for the API user's zone and sends everything else to the zone's URL with the headers
ApiIntegrationCode, UserName and Secret.

Reading: POST {Entity}/query with a filter ({"op": "gte", "field": …, "value": …}),
MaxRecords 500 (the most Autotask returns a page), then GET pageDetails.nextPageUrl
until it is null. Change detection is server-side:
  Companies  lastTrackedModifiedDateTime ≥ since OR lastActivityDate ≥ since
             (companies untouched since Autotask began tracking have a null
             lastTrackedModifiedDateTime; a null value never matches, which is right:
             they have not changed)
  Contacts   lastModifiedDate ≥ since
  Tickets    lastActivityDate ≥ since, or id IN (…) in chunks of 500
Writes: POST creates, PATCH updates only the fields sent; both answer {"itemId": n}
and the connector reads the record back (one GET) so callers see what Autotask
stored. Contacts are created and updated through their company
(Companies/{id}/Contacts), as the API requires.

Idempotent creates: a company OpsMerge creates carries its marker as companyNumber
("OM…"), a ticket in externalID; find_company_by_marker / find_ticket_by_marker query
for them, so a create that reached Autotask before a worker died is found, not repeated.

Ticket statuses: Autotask's one terminal status, Complete, reads as "resolved" (a
neutral "closed" is written as Complete too, unless the tenant has a Closed status).

Lookups read once per connector and cached: the Countries entity (countryID ↔ ISO
code; a small built-in table when the API user may not read it), the ticket status
and priority picklists (Tickets/entityInformation/fields, mapped by label; the
defaults of a new Autotask database when unreadable), and the owner resource new
companies need (the API user's own resource unless the form names one).

Errors: Autotask answers business validation with HTTP 500 and {"errors": ["Value does
not exist for the required field companyName. | Error creating entity …"]}, so writes
do not retry a 500 (they would only repeat the refusal or, worse, create twice); the
messages are mapped to neutral field names. A wrong Secret is a 401; an unknown user or
integration code is a 500 naming them, mapped to kind "auth" as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from opsmerge.retrying_http import TRANSIENT_STATUSES
from opsmerge.validators import normalize_domain

from . import register
from .base import Connector, CredentialField, PsaCompany, PsaContact, PsaError, PsaTicket

DEFAULT_BASE_URL = "https://webservices.autotask.net"
MAX_RECORDS = 500
NOT_500 = TRANSIENT_STATUSES - {500}

COMPANY_MAP = {"name": "companyName", "phone": "phone", "website": "webAddress", "street": "address1",
               "city": "city", "region": "state", "postcode": "postalCode", "country": "countryID"}
CONTACT_MAP = {"first_name": "firstName", "last_name": "lastName", "email": "emailAddress", "phone": "phone",
               "mobile": "mobilePhone", "title": "title"}
TICKET_MAP = {"summary": "title", "description": "description", "status": "status", "priority": "priority",
              "contact_external_id": "contactID", "company": "companyID"}
NEUTRAL = {entity: {vendor: neutral for neutral, vendor in mapping.items()}
           for entity, mapping in (("Companies", COMPANY_MAP), ("Contacts", CONTACT_MAP), ("Tickets", TICKET_MAP))}

# Used only when the API user may not read the Countries entity.
FALLBACK_COUNTRIES = {237: "US", 236: "GB", 39: "CA", 14: "AU", 82: "DE", 75: "FR", 106: "IE", 155: "NZ"}
# The picklists of a new Autotask database, used only when entityInformation is unreadable.
FALLBACK_STATUSES = {1: "New", 5: "Complete", 7: "Waiting Customer", 8: "In Progress", 12: "Waiting Vendor"}
FALLBACK_PRIORITIES = {1: "High", 2: "Medium", 3: "Low", 4: "Critical"}
# Which picklist label a neutral value is written as, when the tenant has it.
PREFERRED_LABEL = {"new": "new", "open": "in progress", "waiting": "waiting customer", "resolved": "complete",
                   "closed": "complete", "low": "low", "normal": "medium", "high": "high", "urgent": "critical"}

_REQUIRED = re.compile(r"required field (\w+)", re.I)
_FIELD = re.compile(r"\(field:(\w+)\)|reference field (\w+)|for field (\w+)", re.I)
_AUTH = re.compile(r"integrationcode|zone information could not be determined|user.*(not found|invalid)", re.I)


def status_of(label: str) -> str:
    """A neutral ticket status for an Autotask status label (tenants name their own)."""
    text = label.lower()
    if text == "new":
        return "new"
    if any(word in text for word in ("closed", "cancel")):
        return "closed"
    if "resolved" in text or "complete" in text:  # Autotask's one terminal status is "Complete"
        return "resolved"
    if any(word in text for word in ("waiting", "hold", "pending")):
        return "waiting"
    return "open"


def priority_of(label: str) -> str:
    text = label.lower()
    if "critical" in text or "urgent" in text:
        return "urgent"
    if "high" in text:
        return "high"
    if "low" in text:
        return "low"
    return "normal"


def picklist_value(neutral: str, picklist: dict[int, str], to_neutral) -> int:
    """The picklist value to write for a neutral status/priority: the label OpsMerge
    prefers when the tenant has it, else the first label that maps to it."""
    preferred = PREFERRED_LABEL.get(neutral, neutral)
    candidates = [value for value, label in picklist.items() if to_neutral(label) == neutral]
    if not candidates and neutral == "closed":  # a PSA without a separate closed status (Autotask: Complete)
        return picklist_value("resolved", picklist, to_neutral)
    for value in candidates:
        if picklist[value].lower() == preferred:
            return value
    if candidates:
        return candidates[0]
    name = "status" if to_neutral is status_of else "priority"
    raise PsaError("validation", "no_picklist_value", f"The PSA has no {name} meaning {neutral!r}.",
                   field_errors={name: [f"No {name} value of the PSA means {neutral!r}."]})


def at_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value) -> datetime | None:
    """An aware UTC datetime from the PSA's ISO 8601 text (no zone given: UTC, as Halo
    and Autotask both store UTC)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_text(value) -> str:
    """A neutral string field: None (a partial object) becomes ""."""
    return "" if value is None else str(value)



@register
class AutotaskConnector(Connector):
    kind = "autotask"
    label = "Autotask"
    credential_fields = [
        CredentialField("username", "API user name", help="The API-only user's user name (an email address)."),
        CredentialField("secret", "Secret", secret=True, help="The API user's password (Secret)."),
        CredentialField("integration_code", "API tracking identifier",
                        help="The API user's tracking identifier (sent as ApiIntegrationCode)."),
        CredentialField("owner_resource_id", "Owner resource ID", required=False,
                        help="Account manager of companies OpsMerge creates; empty: the API user."),
    ]
    base_url_help = ("Autotask's zone-discovery address, https://webservices.autotask.net; OpsMerge asks it "
                     "for your API user's zone.")
    supports_inactive = True
    page_size = MAX_RECORDS
    max_page_size = MAX_RECORDS

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, credentials: dict[str, str], http=None,
                 page_size: int | None = None):
        base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        base = re.sub(r"(/v1\.0)?$", "", base, flags=re.I)
        base = re.sub(r"/atservicesrest$", "", base, flags=re.I)
        super().__init__(base_url=base, credentials=credentials, http=http, page_size=page_size)
        self._zone: str | None = None
        self._countries: dict[int, str] | None = None
        self._picklists: tuple[dict[int, str], dict[int, str]] | None = None
        self._owner: int | None = None

    # -- transport ------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {"ApiIntegrationCode": self.credentials.get("integration_code", ""),
                "UserName": self.credentials.get("username", ""), "Secret": self.credentials.get("secret", "")}

    @property
    def zone(self) -> str:
        """The zone's REST root, …/V1.0/, discovered once."""
        if self._zone is None:
            body = self._call("GET", f"{self.base_url}/atservicesrest/v1.0/zoneInformation",
                              params={"user": self.credentials.get("username", "")}, retry_500=False)
            url = (body or {}).get("url")
            if not url:
                raise PsaError("unexpected", "no_zone", "Autotask's zone information had no URL.")
            self._zone = url.rstrip("/") + "/V1.0/"
        return self._zone

    def _call(self, method: str, path: str, *, params=None, json=None, retry_500: bool = True, entity: str = ""):
        """The body of a 2xx answer; anything else as PsaError. Reads retry 500 like any
        5xx; writes (and the discovery, whose unknown-user answer is a 500) do not."""
        url = path if path.startswith(("https://", "http://")) else self.zone + path
        status, body, _ = self.http.request(method, url, params=params, json=json,
                                            transient=None if retry_500 else NOT_500)
        if status >= 400:
            raise self._error(status, body, entity)
        return body

    def _error(self, status: int, body, entity: str = "") -> PsaError:
        messages = []
        if isinstance(body, dict):
            errors = body.get("errors")
            messages = [str(m) for m in errors] if isinstance(errors, list) else []
            if not messages and body.get("Message"):
                messages = [str(body["Message"])]
        text = " ".join(messages)
        refused_record = "entity for record number" in text.lower()
        if status == 401 or (status == 500 and not refused_record and _AUTH.search(text)):
            return PsaError("auth", f"HTTP{status}", text or "Autotask refused the API user's credentials.",
                            status=status)
        if status == 403:
            return PsaError("permission", "HTTP403", text or "The API user may not do this.", status=status)
        if status == 404 or "could not be found" in text.lower():
            return PsaError("not_found", "HTTP404", text or "Not found.", status=status)
        if status == 429:
            return PsaError("rate_limited", "HTTP429", text, status=status)
        field_errors: dict[str, list[str]] = {}
        for message in messages:
            match = _REQUIRED.search(message) or _FIELD.search(message)
            vendor = next((g for g in match.groups() if g), "") if match else ""
            neutral = self._neutral_field(vendor, entity)
            field_errors.setdefault(neutral, []).append(message.split("  |")[0].split(" | ")[0].strip())
        if status == 400 or refused_record or any(field_errors):
            return PsaError("validation", f"HTTP{status}", "Autotask refused the record.",
                            field_errors=field_errors or None, status=status)
        if status >= 500:
            return PsaError("transient", f"HTTP{status}", text or "Autotask failed.", status=status)
        return PsaError("unexpected", f"HTTP{status}", text, status=status)

    @staticmethod
    def _neutral_field(vendor: str, entity: str) -> str:
        mappings = [NEUTRAL[entity]] if entity in NEUTRAL else list(NEUTRAL.values())
        return next((m[vendor] for m in mappings if vendor in m), vendor)

    def _query(self, entity: str, filters: list[dict]) -> Iterator[dict]:
        """Every record matching `filters`, following nextPageUrl."""
        body = self._call("POST", f"{entity}/query", json={"MaxRecords": self.page_size, "filter": filters})
        while True:
            yield from body.get("items") or []
            next_url = (body.get("pageDetails") or {}).get("nextPageUrl")
            if not next_url:
                return
            body = self._call("GET", next_url)

    def _get(self, entity: str, item_id: str) -> dict:
        if not str(item_id).isdigit():
            raise PsaError("not_found", "bad_id", f"{entity} id {item_id!r} is not an Autotask id.")
        item = (self._call("GET", f"{entity}/{item_id}") or {}).get("item")
        if not item:
            raise PsaError("not_found", "HTTP200", f"Autotask has no {entity[:-1].lower()} {item_id}.")
        return item

    def _write(self, method: str, path: str, body: dict, entity: str) -> int:
        result = self._call(method, path, json=body, retry_500=False, entity=entity) or {}
        return int(result["itemId"])

    # -- lookups --------------------------------------------------------------------------
    def countries(self) -> dict[int, str]:
        if self._countries is None:
            try:
                rows = self._query("Countries", [{"op": "exist", "field": "id"}])
                self._countries = {int(r["id"]): str(r.get("countryCode") or "").upper() for r in rows}
            except PsaError as exc:
                if exc.kind not in ("permission", "not_found"):
                    raise
                self._countries = dict(FALLBACK_COUNTRIES)
        return self._countries

    def picklists(self) -> tuple[dict[int, str], dict[int, str]]:
        """(status value → label, priority value → label) of Tickets."""
        if self._picklists is None:
            try:
                fields = (self._call("GET", "Tickets/entityInformation/fields") or {}).get("fields") or []
                lists = {f.get("name"): {int(v["value"]): v.get("label", "") for v in f.get("picklistValues") or []
                                         if v.get("isActive", True)} for f in fields if f.get("isPickList")}
                self._picklists = (lists.get("status") or dict(FALLBACK_STATUSES),
                                   lists.get("priority") or dict(FALLBACK_PRIORITIES))
            except PsaError as exc:
                if exc.kind not in ("permission", "not_found"):
                    raise
                self._picklists = (dict(FALLBACK_STATUSES), dict(FALLBACK_PRIORITIES))
        return self._picklists

    def owner_resource(self) -> int:
        if self._owner is None:
            configured = (self.credentials.get("owner_resource_id") or "").strip()
            if configured.isdigit():
                self._owner = int(configured)
            else:
                user = self.credentials.get("username", "")
                mine = [{"op": "eq", "field": "isActive", "value": True}, {"op": "eq", "field": "email", "value": user}]
                found = next(self._query("Resources", mine), None) or next(
                    self._query("Resources", [{"op": "eq", "field": "isActive", "value": True}]), None)
                if found is None:
                    raise PsaError("validation", "no_owner", "Autotask has no active resource to own new companies.",
                                   field_errors={"": ["Enter an owner resource ID on the connection."]})
                self._owner = int(found["id"])
        return self._owner

    # -- mapping --------------------------------------------------------------------------
    def _company(self, row: dict) -> PsaCompany:
        website = as_text(row.get("webAddress"))
        country_id = row.get("countryID")
        return PsaCompany(
            external_id=str(row["id"]), name=as_text(row.get("companyName")), active=row.get("isActive") is not False,
            updated_at=parse_time(row.get("lastTrackedModifiedDateTime") or row.get("lastActivityDate")
                                  or row.get("createDate")),
            phone=as_text(row.get("phone")), website=website, domain=normalize_domain(website),
            street=as_text(row.get("address1")), city=as_text(row.get("city")), region=as_text(row.get("state")),
            postcode=as_text(row.get("postalCode")),
            country=self.countries().get(int(country_id), "") if country_id is not None else "", raw=row)

    def _company_body(self, fields: dict) -> dict:
        body = {}
        for neutral, value in fields.items():
            vendor = COMPANY_MAP.get(neutral)
            if vendor is None:
                continue
            if neutral == "country":
                body[vendor] = self._country_id(value)
            else:
                body[vendor] = value or None
        return body

    def _country_id(self, code) -> int | None:
        if not code:
            return None
        wanted = str(code).upper()
        for country_id, iso in self.countries().items():
            if iso == wanted:
                return country_id
        raise PsaError("validation", "unknown_country", f"Autotask has no country {code!r}.",
                       field_errors={"country": [f"Autotask has no country with the code {code!r}."]})

    @staticmethod
    def _contact(row: dict) -> PsaContact:
        return PsaContact(
            external_id=str(row["id"]), company_external_id=as_text(row.get("companyID")),
            first_name=as_text(row.get("firstName")), last_name=as_text(row.get("lastName")),
            email=as_text(row.get("emailAddress")), phone=as_text(row.get("phone")), mobile=as_text(row.get("mobilePhone")),
            title=as_text(row.get("title")), active=row.get("isActive") not in (0, False),
            updated_at=parse_time(row.get("lastModifiedDate") or row.get("lastActivityDate") or row.get("createDate")),
            raw=row)

    @staticmethod
    def _contact_body(fields: dict) -> dict:
        return {CONTACT_MAP[k]: (v if v != "" else None) for k, v in fields.items() if k in CONTACT_MAP}

    def _ticket(self, row: dict) -> PsaTicket:
        statuses, priorities = self.picklists()
        status = row.get("status")
        priority = row.get("priority")
        return PsaTicket(
            external_id=str(row["id"]), company_external_id=as_text(row.get("companyID")),
            summary=as_text(row.get("title")), description=as_text(row.get("description")),
            status=status_of(statuses.get(status, "")) if status is not None else "open",
            contact_external_id=as_text(row.get("contactID")),
            priority=priority_of(priorities.get(priority, "")) if priority is not None else "normal",
            updated_at=parse_time(row.get("lastActivityDate") or row.get("createDate")), raw=row)

    # -- the contract ---------------------------------------------------------------------
    def check(self) -> None:
        self._call("POST", "Companies/query", json={"MaxRecords": 1, "filter": [{"op": "gte", "field": "id", "value": 0}]},
                   retry_500=False)

    def list_companies(self, *, since: datetime | None = None) -> Iterator[PsaCompany]:
        if since is None:
            filters = [{"op": "gte", "field": "id", "value": 0}]
        else:
            stamp = at_time(since)
            filters = [{"op": "or", "items": [
                {"op": "gte", "field": "lastTrackedModifiedDateTime", "value": stamp},
                {"op": "gte", "field": "lastActivityDate", "value": stamp}]}]
        for row in self._query("Companies", filters):
            yield self._company(row)

    def get_company(self, external_id: str) -> PsaCompany:
        return self._company(self._get("Companies", external_id))

    def create_company(self, fields: dict) -> PsaCompany:
        body = {"companyType": 1, "ownerResourceID": self.owner_resource(), "isActive": True,
                **self._company_body(fields)}
        if fields.get("marker"):
            body["companyNumber"] = f"OM{fields['marker']}"[:50]
        return self.get_company(str(self._write("POST", "Companies", body, "Companies")))

    def find_company_by_marker(self, marker: str) -> PsaCompany | None:
        """A company OpsMerge created carries the marker as its companyNumber."""
        row = next(self._query("Companies", [{"op": "eq", "field": "companyNumber", "value": f"OM{marker}"[:50]}]),
                   None)
        return self._company(row) if row else None

    def update_company(self, external_id: str, fields: dict) -> PsaCompany:
        body = self._company_body(fields)
        if body:
            self._write("PATCH", "Companies", {"id": int(external_id), **body}, "Companies")
        return self.get_company(external_id)

    def set_company_active(self, external_id: str, active: bool) -> None:
        self._write("PATCH", "Companies", {"id": int(external_id), "isActive": bool(active)}, "Companies")

    def list_contacts(self, *, since: datetime | None = None,
                      company_external_id: str | None = None) -> Iterator[PsaContact]:
        filters = [{"op": "gte", "field": "id", "value": 0}] if since is None else [
            {"op": "gte", "field": "lastModifiedDate", "value": at_time(since)}]
        if company_external_id is not None:
            filters.append({"op": "eq", "field": "companyID", "value": int(company_external_id)})
        for row in self._query("Contacts", filters):
            yield self._contact(row)

    def create_contact(self, company_external_id: str, fields: dict) -> PsaContact:
        body = {"isActive": 1, **self._contact_body(fields)}
        item_id = self._write("POST", f"Companies/{int(company_external_id)}/Contacts", body, "Contacts")
        return self._contact(self._get("Contacts", str(item_id)))

    def update_contact(self, external_id: str, fields: dict) -> PsaContact:
        current = self._get("Contacts", external_id)
        body = self._contact_body(fields)
        if not body:
            return self._contact(current)
        self._write("PATCH", f"Companies/{current['companyID']}/Contacts", {"id": int(external_id), **body},
                    "Contacts")
        return self._contact(self._get("Contacts", external_id))

    def create_ticket(self, company_external_id: str, fields: dict) -> PsaTicket:
        statuses, priorities = self.picklists()
        body = {"companyID": int(company_external_id), "title": fields.get("summary", ""),
                "status": picklist_value(fields.get("status") or "new", statuses, status_of),
                "priority": picklist_value(fields.get("priority") or "normal", priorities, priority_of)}
        if fields.get("description"):
            body["description"] = fields["description"]
        if fields.get("contact_external_id"):
            body["contactID"] = int(fields["contact_external_id"])
        if fields.get("marker"):
            body["externalID"] = f"OM{fields['marker']}"[:50]
        return self.get_ticket(str(self._write("POST", "Tickets", body, "Tickets")))

    def find_ticket_by_marker(self, marker: str) -> PsaTicket | None:
        """A ticket OpsMerge created carries the marker in externalID."""
        row = next(self._query("Tickets", [{"op": "eq", "field": "externalID", "value": f"OM{marker}"[:50]}]), None)
        return self._ticket(row) if row else None

    def get_ticket(self, external_id: str) -> PsaTicket:
        return self._ticket(self._get("Tickets", external_id))

    def list_tickets(self, *, since: datetime | None = None,
                     external_ids: list[str] | None = None) -> Iterator[PsaTicket]:
        base = [] if since is None else [{"op": "gte", "field": "lastActivityDate", "value": at_time(since)}]
        if external_ids is not None:
            ids = [int(i) for i in external_ids if str(i).isdigit()]
            for start in range(0, len(ids), MAX_RECORDS):
                chunk = [*base, {"op": "in", "field": "id", "value": ids[start:start + MAX_RECORDS]}]
                for row in self._query("Tickets", chunk):
                    yield self._ticket(row)
            return
        for row in self._query("Tickets", base or [{"op": "gte", "field": "id", "value": 0}]):
            yield self._ticket(row)
