"""HaloPSA over its REST API.

Auth: OAuth2 client credentials. POST {auth_url}/token (form grant_type=
client_credentials, client_id, client_secret, scope=all; ?tenant= for hosted
instances; auth_url defaults to {base_url}/auth), then Authorization: Bearer <token>
on {base_url}/api/…. The token is reused until a minute before expires_in; a 401
gets ONE fresh token and one more try (PsaHttp's on_401), a second 401 is an auth
error. A refused token request (401 invalid_client) is an auth error at once.

Reading: GET api/Client, api/Site, api/Users, api/Tickets with pageinate=true,
page_size and page_no (1-based); the answer's record_count says when to stop, so a
full listing costs ceil(record_count / page_size) requests. Inactive records are asked
for too (includeinactive=true).

Change detection: Halo's clients and users carry no last-modified field and the API
offers no filter on one, so list_companies/list_contacts page through everything
whatever `since` says (updated_at is None) and the framework compares field values.
Tickets do have one: list_tickets(since=…) asks datesearch=lastactiondate&startdate=…,
and external_ids become ticketids=1,2,….

Halo keeps a client's address and phone on its sites: a company here is the client
plus its main site (main_site_id; line1 street, line3 town, line4 county/state,
postcode, country). Listing companies therefore also pages through api/Site once.
Writes POST a JSON array of one object (no id: create; id: update of the fields
sent); Halo answers with the saved object. Users (contacts) belong to a site: new
ones go to the client's main site. Idempotent creates: a client OpsMerge creates
carries its marker in notes (found among the newest clients), a ticket in an HTML
comment of its details (found with search_details). A refusal is a 400 whose body is the message; the
connector names the neutral field it is about from the message's words.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from opsmerge.validators import normalize_domain

from . import register
from .autotask import as_text, parse_time, picklist_value, priority_of, status_of
from .base import Connector, CredentialField, PsaCompany, PsaContact, PsaError, PsaTicket

DEFAULT_STATUSES = {1: "New", 2: "In Progress", 3: "Action Required", 4: "Waiting on User", 8: "Resolved",
                    9: "Closed"}
PRIORITIES = {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}  # the default SLA's priority ids
CLIENT_FIELDS = {"name": "name", "website": "website"}
SITE_FIELDS = {"phone": "phonenumber"}
ADDRESS_FIELDS = {"street": "line1", "city": "line3", "region": "line4", "postcode": "postcode", "country": "country"}
USER_FIELDS = {"first_name": "firstname", "last_name": "surname", "email": "emailaddress", "phone": "phonenumber",
               "mobile": "mobilenumber", "title": "jobtitle"}
# Words of Halo's refusal messages → the neutral field they are about (first match wins).
MESSAGE_FIELDS = {
    "Client": (("website", "website"), ("name", "name")),
    "Site": (("phone", "phone"), ("address", "street"), ("customer", "")),
    "Users": (("email", "email"), ("mobile", "mobile"), ("phone", "phone"), ("job title", "title"),
              ("site", ""), ("name", "first_name")),
    "Tickets": (("summary", "summary"), ("user", "contact_external_id"), ("status", "status"),
                ("priority", "priority"), ("customer", "")),
}
MARKER_NOTE = "Created by OpsMerge (ref OM{marker})"
MARKER_COMMENT = re.compile(r"\s*<!-- OpsMerge OM\w+ -->")
TOKEN_MARGIN = 60.0  # seconds before expiry a token is renewed
TICKET_ID_CHUNK = 100


def halo_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@register
class HaloConnector(Connector):
    kind = "halopsa"
    label = "HaloPSA"
    credential_fields = [
        CredentialField("client_id", "Client ID", help="Configuration → Integrations → HaloPSA API → an "
                        "application with the Client ID and Secret (client credentials) method."),
        CredentialField("client_secret", "Client secret", secret=True),
        CredentialField("tenant", "Tenant", required=False, help="Hosted HaloPSA only: the tenant name."),
        CredentialField("auth_url", "Authorisation server", required=False,
                        help="Empty: the resource server's /auth (the usual set-up)."),
    ]
    base_url_help = "Your HaloPSA address (the resource server), e.g. https://yourcompany.halopsa.com."
    supports_inactive = True
    page_size = 100
    max_page_size = 1000  # Halo documents no maximum; OpsMerge asks for no more than this

    def __init__(self, *, base_url: str, credentials: dict[str, str], http=None, page_size: int | None = None):
        super().__init__(base_url=base_url, credentials=credentials, http=http, page_size=page_size)
        self._token: str | None = None
        self._token_expires = 0.0
        self._statuses: dict[int, str] | None = None

    # -- auth -----------------------------------------------------------------------------
    @property
    def token_url(self) -> str:
        auth = (self.credentials.get("auth_url") or "").strip().rstrip("/") or f"{self.base_url}/auth"
        return f"{auth}/token"

    def _fetch_token(self) -> None:
        params = {"tenant": self.credentials["tenant"]} if self.credentials.get("tenant") else None
        status, body, _ = self.http.request(
            "POST", self.token_url, params=params, auth=False,
            data={"grant_type": "client_credentials", "client_id": self.credentials.get("client_id", ""),
                  "client_secret": self.credentials.get("client_secret", ""), "scope": "all"})
        body = body if isinstance(body, dict) else {}
        if status != 200 or not body.get("access_token"):
            self._token = None
            code = str(body.get("error") or f"HTTP{status}")
            kind = "auth" if status in (400, 401) else "unexpected"
            raise PsaError(kind, code, str(body.get("error_description") or "HaloPSA refused the client credentials."),
                           status=status)
        self._token = body["access_token"]
        lifetime = float(body.get("expires_in") or 3600)
        self._token_expires = time.monotonic() + lifetime - min(TOKEN_MARGIN, lifetime / 2)

    def auth_headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._token_expires:
            self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    def on_401(self) -> bool:
        """The token expired or was revoked: one fresh one (PsaHttp then tries once more)."""
        self._token = None
        self._fetch_token()
        return True

    # -- transport ------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, params=None, json=None, resource: str = ""):
        status, body, _ = self.http.request(method, f"api/{path}", params=params, json=json)
        if status >= 400:
            raise self._error(status, body, resource)
        return body

    @staticmethod
    def _error(status: int, body, resource: str = "") -> PsaError:
        message = body if isinstance(body, str) else ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error_description") or body.get("error") or "")
        if status == 401:
            return PsaError("auth", "HTTP401", message or "HaloPSA refused the access token.", status=status)
        if status == 403:
            return PsaError("permission", "HTTP403", message or "The HaloPSA application may not do this.",
                            status=status)
        if status == 404:
            return PsaError("not_found", "HTTP404", message or "Not found.", status=status)
        if status == 400:
            lowered = message.lower()
            neutral = next((field for word, field in MESSAGE_FIELDS.get(resource, ()) if word in lowered), "")
            return PsaError("validation", "HTTP400", "HaloPSA refused the record.",
                            field_errors={neutral: [message or "Refused."]}, status=status)
        if status == 429:
            return PsaError("rate_limited", "HTTP429", message, status=status)
        kind = "transient" if status >= 500 else "unexpected"
        return PsaError(kind, f"HTTP{status}", message or f"HaloPSA answered {status}.", status=status)

    def _pages(self, resource: str, key: str, params: dict | None = None) -> Iterator[dict]:
        """Every record of a paginated listing; stops at record_count (no empty last page)."""
        page, seen = 1, 0
        while True:
            body = self._call("GET", resource, resource=resource, params={
                **(params or {}), "pageinate": "true", "page_size": self.page_size, "page_no": page}) or {}
            rows = body.get(key) or []
            yield from rows
            seen += len(rows)
            total = body.get("record_count")
            if not rows or (seen >= total if isinstance(total, int) else len(rows) < self.page_size):
                return  # record_count decides (a server capping page_size only costs more pages)
            page += 1

    def _save(self, resource: str, obj: dict) -> dict:
        saved = self._call("POST", resource, json=[obj], resource=resource)
        if isinstance(saved, list):
            saved = saved[0] if saved else None
        if not isinstance(saved, dict) or "id" not in saved:
            raise PsaError("unexpected", "no_record", f"HaloPSA's answer to a {resource} save had no record.")
        return saved

    def _get(self, resource: str, item_id: str) -> dict:
        if not str(item_id).isdigit():
            raise PsaError("not_found", "bad_id", f"{item_id!r} is not a HaloPSA id.")
        return self._call("GET", f"{resource}/{item_id}", resource=resource)

    # -- mapping --------------------------------------------------------------------------
    @staticmethod
    def _company(client: dict, site: dict | None) -> PsaCompany:
        address = (site or {}).get("delivery_address") or {}
        website = as_text(client.get("website"))
        return PsaCompany(
            external_id=str(client["id"]), name=as_text(client.get("name")), active=not client.get("inactive"),
            updated_at=None, phone=as_text((site or {}).get("phonenumber")), website=website,
            domain=normalize_domain(website), street=as_text(address.get("line1")),
            city=as_text(address.get("line3")), region=as_text(address.get("line4")),
            postcode=as_text(address.get("postcode")), country=as_text(address.get("country")).upper(), raw=client)

    @staticmethod
    def _contact(user: dict) -> PsaContact:
        first, last = as_text(user.get("firstname")), as_text(user.get("surname"))
        if not first and not last and user.get("name"):
            first, _, last = str(user["name"]).partition(" ")
        return PsaContact(
            external_id=str(user["id"]), company_external_id=as_text(user.get("client_id")), first_name=first,
            last_name=last, email=as_text(user.get("emailaddress")), phone=as_text(user.get("phonenumber")),
            mobile=as_text(user.get("mobilenumber")), title=as_text(user.get("jobtitle")),
            active=not user.get("inactive"), updated_at=None, raw=user)

    def statuses(self) -> dict[int, str]:
        if self._statuses is None:
            try:
                rows = self._call("GET", "Status") or []
                self._statuses = {int(r["id"]): str(r.get("name") or "") for r in rows} or dict(DEFAULT_STATUSES)
            except PsaError as exc:
                if exc.kind not in ("permission", "not_found"):
                    raise
                self._statuses = dict(DEFAULT_STATUSES)
        return self._statuses

    def _ticket(self, row: dict) -> PsaTicket:
        status, priority = row.get("status_id"), row.get("priority_id")
        return PsaTicket(
            external_id=str(row["id"]), company_external_id=as_text(row.get("client_id")),
            summary=as_text(row.get("summary")), description=MARKER_COMMENT.sub("", as_text(row.get("details"))),
            status=status_of(self.statuses().get(status, "")) if status is not None else "open",
            contact_external_id=as_text(row.get("user_id") or ""),
            priority=priority_of(PRIORITIES.get(priority, "")) if priority is not None else "normal",
            updated_at=parse_time(row.get("lastactiondate") or row.get("last_update") or row.get("datecreated")),
            raw=row)

    # -- the contract ---------------------------------------------------------------------
    def check(self) -> None:
        self._call("GET", "Client", params={"pageinate": "true", "page_size": 1, "page_no": 1})

    def list_companies(self, *, since: datetime | None = None) -> Iterator[PsaCompany]:
        """Every client (Halo has no change filter for them: `since` cannot narrow this)."""
        sites = {row["id"]: row for row in self._pages("Site", "sites", {"includeinactive": "true"})}
        for client in self._pages("Client", "clients", {"includeinactive": "true"}):
            yield self._company(client, sites.get(client.get("main_site_id")))

    def _main_site(self, client: dict) -> dict | None:
        site_id = client.get("main_site_id")
        return self._get("Site", str(site_id)) if site_id else None

    def get_company(self, external_id: str) -> PsaCompany:
        client = self._get("Client", external_id)
        return self._company(client, self._main_site(client))

    def create_company(self, fields: dict) -> PsaCompany:
        body = {"name": fields.get("name", ""),
                **{CLIENT_FIELDS[k]: v or None for k, v in fields.items() if k in CLIENT_FIELDS and k != "name"}}
        if fields.get("marker"):
            body["notes"] = MARKER_NOTE.format(marker=fields["marker"])
        client = self._save("Client", body)
        # Halo gave the new client an empty "Main" site: phone and address go there, no read needed.
        main = {"id": client["main_site_id"]} if client.get("main_site_id") else None
        return self._company(client, self._save_site(client, main, fields))

    def find_company_by_marker(self, marker: str) -> PsaCompany | None:
        """Clients OpsMerge created carry the marker in their notes; Halo cannot search
        notes, so this reads the newest clients (one page, newest first): a create that
        reached Halo before a worker died is among them."""
        body = self._call("GET", "Client", params={"pageinate": "true", "page_size": 50, "page_no": 1, "order": "id",
                                                   "orderdesc": "true", "includeinactive": "true"}) or {}
        note = MARKER_NOTE.format(marker=marker)
        client = next((c for c in body.get("clients") or [] if note in (c.get("notes") or "")), None)
        return self._company(client, self._main_site(client)) if client else None

    def _save_site(self, client: dict, site: dict | None, fields: dict) -> dict | None:
        """Phone and address go to the client's main site (None when none of them changed)."""
        changes = {SITE_FIELDS[k]: v or None for k, v in fields.items() if k in SITE_FIELDS}
        address_changes = {ADDRESS_FIELDS[k]: v or "" for k, v in fields.items() if k in ADDRESS_FIELDS}
        if not changes and not address_changes:
            return None
        if address_changes:
            changes["delivery_address"] = {**((site or {}).get("delivery_address") or {}), **address_changes}
        if site is None:
            return self._save("Site", {"name": "Main", "client_id": client["id"], **changes})
        return self._save("Site", {"id": site["id"], **changes})

    def update_company(self, external_id: str, fields: dict) -> PsaCompany:
        client_changes = {CLIENT_FIELDS[k]: v or None for k, v in fields.items() if k in CLIENT_FIELDS}
        if "name" in client_changes:
            client_changes["name"] = fields["name"]
        client = (self._save("Client", {"id": int(external_id), **client_changes}) if client_changes
                  else self._get("Client", external_id))
        site = self._main_site(client)
        site = self._save_site(client, site, fields) or site
        return self._company(client, site)

    def set_company_active(self, external_id: str, active: bool) -> None:
        self._save("Client", {"id": int(external_id), "inactive": not active})

    def list_contacts(self, *, since: datetime | None = None,
                      company_external_id: str | None = None) -> Iterator[PsaContact]:
        """Every user (no change filter in Halo: `since` cannot narrow this)."""
        params = {"includeinactive": "true"}
        if company_external_id is not None:
            params["client_id"] = str(company_external_id)
        for user in self._pages("Users", "users", params):
            yield self._contact(user)

    def _user_body(self, fields: dict, current: dict | None = None) -> dict:
        body = {USER_FIELDS[k]: v or None for k, v in fields.items() if k in USER_FIELDS}
        if "first_name" in fields or "last_name" in fields:
            first = fields.get("first_name", (current or {}).get("firstname")) or ""
            last = fields.get("last_name", (current or {}).get("surname")) or ""
            body["name"] = f"{first} {last}".strip()
        return body

    def create_contact(self, company_external_id: str, fields: dict) -> PsaContact:
        client = self._get("Client", company_external_id)
        user = self._save("Users", {"site_id": client.get("main_site_id"), "client_id": client["id"],
                                    **self._user_body(fields)})
        return self._contact(user)

    def update_contact(self, external_id: str, fields: dict) -> PsaContact:
        current = self._get("Users", external_id) if {"first_name", "last_name"} & set(fields) else None
        body = self._user_body(fields, current)
        if not body:
            return self._contact(current or self._get("Users", external_id))
        return self._contact(self._save("Users", {"id": int(external_id), **body}))

    def create_ticket(self, company_external_id: str, fields: dict) -> PsaTicket:
        body = {"summary": fields.get("summary", ""), "client_id": int(company_external_id),
                "status_id": picklist_value(fields.get("status") or "new", self.statuses(), status_of),
                "priority_id": picklist_value(fields.get("priority") or "normal", PRIORITIES, priority_of)}
        details = fields.get("description") or ""
        if fields.get("marker"):  # invisible in Halo's HTML details; found again with search_details
            details = f"{details}\n<!-- OpsMerge OM{fields['marker']} -->".lstrip()
        if details:
            body["details"] = details
        if fields.get("contact_external_id"):
            body["user_id"] = int(fields["contact_external_id"])
        return self._ticket(self._save("Tickets", body))

    def find_ticket_by_marker(self, marker: str) -> PsaTicket | None:
        body = self._call("GET", "Tickets", params={"search_details": f"OM{marker}", "pageinate": "true",
                                                    "page_size": 5, "page_no": 1}) or {}
        row = next(iter(body.get("tickets") or []), None)
        return self._ticket(row) if row else None

    def get_ticket(self, external_id: str) -> PsaTicket:
        return self._ticket(self._get("Tickets", external_id))

    def list_tickets(self, *, since: datetime | None = None,
                     external_ids: list[str] | None = None) -> Iterator[PsaTicket]:
        params = {} if since is None else {"datesearch": "lastactiondate", "startdate": halo_time(since)}
        if external_ids is None:
            for row in self._pages("Tickets", "tickets", params):
                yield self._ticket(row)
            return
        ids = [str(int(i)) for i in external_ids if str(i).isdigit()]
        for start in range(0, len(ids), TICKET_ID_CHUNK):
            chunk = {**params, "ticketids": ",".join(ids[start:start + TICKET_ID_CHUNK])}
            for row in self._pages("Tickets", "tickets", chunk):
                yield self._ticket(row)
