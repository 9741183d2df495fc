"""ConnectWise PSA (Manage) REST API v3.

Auth: HTTP Basic with "<companyId>+<publicKey>" / "<privateKey>" and the integrator's
clientId header (developer.connectwise.com). Lists page with page/pageSize (default 25,
max 1000) and follow the Link header's rel="next"; change detection is the
`conditions=lastUpdated >= [<UTC>]` filter over `_info.lastUpdated`. Updates are JSON
Patch documents. Errors: {"code", "message", "errors": [{code, message, resource, field}]}.

The companies we create carry an identifier derived from the framework's idempotency
key ("OM" + key), so a create that reached ConnectWise before a worker died is found
again (`find_company_by_marker`); tickets carry it in externalXRef.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from . import register
from .base import Connector, CredentialField, PsaCompany, PsaContact, PsaError, PsaTicket

API = "v4_6_release/apis/3.0"
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
COMPANY_MAP = {"name": "name", "phone": "phoneNumber", "website": "website", "street": "addressLine1",
               "city": "city", "region": "state", "postcode": "zip"}
CONTACT_MAP = {"first_name": "firstName", "last_name": "lastName", "title": "title"}
# OpsMerge status ↔ the default Help Desk board's statuses.
STATUS_TO_CW = {"new": 1, "open": 2, "waiting": 3, "resolved": 4, "closed": 5}
STATUS_FROM_CW = {"new": "new", "in progress": "open", "waiting customer": "waiting", "resolved": "resolved",
                  ">closed": "closed", "closed": "closed", "completed": "resolved"}
PRIORITY_TO_CW = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
PRIORITY_FROM_CW = {v: k for k, v in PRIORITY_TO_CW.items()}
COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "CA": "Canada", "DE": "Germany", "AU": "Australia",
                 "IE": "Ireland", "NL": "Netherlands", "FR": "France", "NZ": "New Zealand"}
COUNTRY_CODES = {v.lower(): k for k, v in COUNTRY_NAMES.items()}
# ConnectWise field names (errors[].field) → neutral names.
FIELD_FROM_CW = {**{v: k for k, v in COMPANY_MAP.items()}, **{v: k for k, v in CONTACT_MAP.items()},
                 "communicationItems": "email", "summary": "summary", "initialDescription": "description",
                 "identifier": "name", "country/id": "country", "company/id": "company"}


def cw_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _domain(website: str) -> str:
    host = re.sub(r"^[a-z]+://", "", (website or "").strip().lower()).split("/", 1)[0].split(":", 1)[0]
    return host[4:] if host.startswith("www.") else host


@register
class ConnectWiseConnector(Connector):
    kind = "connectwise"
    label = "ConnectWise PSA"
    credential_fields = [
        CredentialField("company_id", "Company ID", help="The company you sign in to ConnectWise with."),
        CredentialField("public_key", "Public key", help="An API Member's public key (System → Members → API Members)."),
        CredentialField("private_key", "Private key", secret=True, help="Shown once when the key pair is created."),
        CredentialField("client_id", "Client ID", help="Your integration's clientId from developer.connectwise.com."),
    ]
    supports_inactive = True
    page_size = 25
    max_page_size = 1000

    def auth_headers(self) -> dict[str, str]:
        c = self.credentials
        token = base64.b64encode(f"{c.get('company_id', '')}+{c.get('public_key', '')}:{c.get('private_key', '')}"
                                 .encode()).decode()
        return {"Authorization": f"Basic {token}", "clientId": c.get("client_id", "")}

    # -- plumbing --------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, params=None, json=None, resource: str = ""):
        status, body, headers = self.http.request(method, path if path.startswith("http") else f"{API}/{path}",
                                                  params=params, json=json)
        if 200 <= status < 300:
            return body, headers
        raise self._error(status, body, resource)

    @staticmethod
    def _error(status: int, body, resource: str) -> PsaError:
        body = body if isinstance(body, dict) else {}
        code, message = str(body.get("code") or f"HTTP{status}"), str(body.get("message") or "")
        if status == 401:
            return PsaError("auth", code, message or "ConnectWise refused the API keys.", status=status)
        if status == 403:
            return PsaError("permission", code, message, status=status)
        if status == 404:
            return PsaError("not_found", code, message, status=status)
        if status in (400, 409, 422):
            fields: dict[str, list[str]] = {}
            for item in body.get("errors") or []:
                name = FIELD_FROM_CW.get(str(item.get("field") or ""), str(item.get("field") or ""))
                fields.setdefault(name, []).append(str(item.get("message") or item.get("code") or "invalid"))
            return PsaError("validation", code, message, field_errors=fields or None, status=status)
        return PsaError("unexpected", code, message, status=status)

    def _pages(self, path: str, conditions: list[str]) -> Iterator[list[dict]]:
        params: dict | None = {"pageSize": self.page_size, "page": 1, "orderBy": "id asc"}
        if conditions:
            params["conditions"] = " and ".join(conditions)
        url = path
        while url:
            body, headers = self._call("GET", url, params=params)
            params = None  # the next link carries the query
            yield body or []
            match = _LINK_NEXT.search(headers.get("Link") or "")
            url = match.group(1) if match and body else ""

    # -- companies ---------------------------------------------------------------------------
    def check(self) -> None:
        self._call("GET", "system/info")

    def _company(self, r: dict) -> PsaCompany:
        country = r.get("country") or {}
        status = (r.get("status") or {}).get("name", "Active")
        return PsaCompany(
            external_id=str(r["id"]), name=r.get("name") or "",
            active=not r.get("deletedFlag") and str(status).lower() != "inactive",
            updated_at=_parse_time((r.get("_info") or {}).get("lastUpdated")),
            phone=r.get("phoneNumber") or "", website=r.get("website") or "", domain=_domain(r.get("website") or ""),
            street=r.get("addressLine1") or "", city=r.get("city") or "", region=r.get("state") or "",
            postcode=r.get("zip") or "", country=COUNTRY_CODES.get(str(country.get("name") or "").lower(), ""),
            raw=r,
        )

    def list_companies(self, *, since: datetime | None = None) -> Iterator[PsaCompany]:
        conditions = [f"lastUpdated >= [{cw_time(since)}]"] if since else []
        for page in self._pages("company/companies", conditions):
            yield from (self._company(r) for r in page)

    def get_company(self, external_id: str) -> PsaCompany:
        body, _ = self._call("GET", f"company/companies/{int(external_id)}")
        return self._company(body)

    def _company_body(self, fields: dict) -> dict:
        body = {COMPANY_MAP[k]: v for k, v in fields.items() if k in COMPANY_MAP}
        if "country" in fields:
            name = COUNTRY_NAMES.get(str(fields["country"]).upper())
            body["country"] = {"name": name} if name else None
        return body

    def create_company(self, fields: dict) -> PsaCompany:
        body = self._company_body(fields)
        marker = fields.get("marker") or ""
        body.update({"identifier": (f"OM{marker}" if marker else _identifier(fields.get("name", "")))[:25],
                     "site": {"name": "Main"}, "status": {"id": 1}, "types": [{"id": 1}]})
        if body.get("country"):
            body["country"] = {"id": _country_id(body["country"]["name"])}
        created, _ = self._call("POST", "company/companies", json=body, resource="company")
        return self._company(created)

    def update_company(self, external_id: str, fields: dict) -> PsaCompany:
        body = self._company_body(fields)
        if "country" in body:
            body["country"] = {"id": _country_id(body["country"]["name"])} if body["country"] else None
        ops = [{"op": "replace", "path": key, "value": value} for key, value in body.items()]
        if not ops:
            return self.get_company(external_id)
        updated, _ = self._call("PATCH", f"company/companies/{int(external_id)}", json=ops, resource="company")
        return self._company(updated)

    def set_company_active(self, external_id: str, active: bool) -> None:
        self._call("PATCH", f"company/companies/{int(external_id)}",
                   json=[{"op": "replace", "path": "status/id", "value": 1 if active else 2}], resource="company")

    def find_company_by_marker(self, marker: str) -> PsaCompany | None:
        body, _ = self._call("GET", "company/companies",
                             params={"conditions": f'identifier="OM{marker}"'[:60], "pageSize": 1})
        return self._company(body[0]) if body else None

    # -- contacts -------------------------------------------------------------------------------
    def _contact(self, r: dict) -> PsaContact:
        email = phone = mobile = ""
        for item in r.get("communicationItems") or []:
            kind, value = item.get("communicationType"), str(item.get("value") or "")
            name = str((item.get("type") or {}).get("name") or "").lower()
            if kind == "Email" and (not email or item.get("defaultFlag")):
                email = value
            elif kind == "Phone" and name == "mobile":
                mobile = mobile or value
            elif kind == "Phone" and (not phone or item.get("defaultFlag")):
                phone = value
        return PsaContact(
            external_id=str(r["id"]), company_external_id=str((r.get("company") or {}).get("id") or ""),
            first_name=r.get("firstName") or "", last_name=r.get("lastName") or "", email=email, phone=phone,
            mobile=mobile, title=r.get("title") or "", active=not r.get("inactiveFlag"),
            updated_at=_parse_time((r.get("_info") or {}).get("lastUpdated")), raw=r,
        )

    def list_contacts(self, *, since: datetime | None = None,
                      company_external_id: str | None = None) -> Iterator[PsaContact]:
        conditions = [f"lastUpdated >= [{cw_time(since)}]"] if since else []
        if company_external_id:
            conditions.append(f"company/id={int(company_external_id)}")
        for page in self._pages("company/contacts", conditions):
            yield from (self._contact(r) for r in page)

    @staticmethod
    def _communication_items(fields: dict, existing: list | None = None) -> list[dict]:
        items = [dict(i) for i in existing or []]
        for key, kind, type_name in (("email", "Email", "Email"), ("phone", "Phone", "Direct"),
                                     ("mobile", "Phone", "Mobile")):
            if key not in fields:
                continue
            items = [i for i in items if str((i.get("type") or {}).get("name") or "") != type_name]
            if fields[key]:
                items.append({"type": {"name": type_name}, "value": fields[key], "communicationType": kind,
                              "defaultFlag": True})
        return items

    def create_contact(self, company_external_id: str, fields: dict) -> PsaContact:
        body = {CONTACT_MAP[k]: v for k, v in fields.items() if k in CONTACT_MAP}
        body["company"] = {"id": int(company_external_id)}
        body["communicationItems"] = self._communication_items(fields)
        created, _ = self._call("POST", "company/contacts", json=body, resource="contact")
        return self._contact(created)

    def update_contact(self, external_id: str, fields: dict) -> PsaContact:
        ops = [{"op": "replace", "path": CONTACT_MAP[k], "value": v} for k, v in fields.items() if k in CONTACT_MAP]
        if any(k in fields for k in ("email", "phone", "mobile")):
            current, _ = self._call("GET", f"company/contacts/{int(external_id)}")
            ops.append({"op": "replace", "path": "communicationItems",
                        "value": self._communication_items(fields, current.get("communicationItems"))})
        if "active" in fields:
            ops.append({"op": "replace", "path": "inactiveFlag", "value": not fields["active"]})
        updated, _ = self._call("PATCH", f"company/contacts/{int(external_id)}", json=ops, resource="contact")
        return self._contact(updated)

    # -- tickets ------------------------------------------------------------------------------------
    def _ticket(self, r: dict) -> PsaTicket:
        status = str((r.get("status") or {}).get("name") or "").lower()
        return PsaTicket(
            external_id=str(r["id"]), company_external_id=str((r.get("company") or {}).get("id") or ""),
            summary=r.get("summary") or "", description=r.get("initialDescription") or "",
            status="closed" if r.get("closedFlag") and status not in STATUS_FROM_CW else STATUS_FROM_CW.get(
                status, "open"),
            contact_external_id=str((r.get("contact") or {}).get("id") or ""),
            priority=PRIORITY_FROM_CW.get((r.get("priority") or {}).get("id"), "normal"),
            updated_at=_parse_time((r.get("_info") or {}).get("lastUpdated")), raw=r,
        )

    def create_ticket(self, company_external_id: str, fields: dict) -> PsaTicket:
        body = {"summary": fields.get("summary", "")[:100], "initialDescription": fields.get("description", ""),
                "company": {"id": int(company_external_id)}, "board": {"name": "Help Desk"},
                "priority": {"id": PRIORITY_TO_CW.get(fields.get("priority", "normal"), 3)},
                "status": {"id": STATUS_TO_CW.get(fields.get("status", "new"), 1)}}
        if fields.get("contact_external_id"):
            body["contact"] = {"id": int(fields["contact_external_id"])}
        if fields.get("marker"):
            body["externalXRef"] = f"OM{fields['marker']}"
        created, _ = self._call("POST", "service/tickets", json=body, resource="ticket")
        return self._ticket(created)

    def get_ticket(self, external_id: str) -> PsaTicket:
        body, _ = self._call("GET", f"service/tickets/{int(external_id)}")
        return self._ticket(body)

    def list_tickets(self, *, since: datetime | None = None,
                     external_ids: list[str] | None = None) -> Iterator[PsaTicket]:
        conditions = [f"lastUpdated >= [{cw_time(since)}]"] if since else []
        if external_ids is not None:
            ids = [str(int(i)) for i in external_ids]
            if not ids:
                return
            for start in range(0, len(ids), 200):  # keep the URL short
                chunk = ",".join(ids[start:start + 200])
                for page in self._pages("service/tickets", [*conditions, f"id in ({chunk})"]):
                    yield from (self._ticket(r) for r in page)
            return
        for page in self._pages("service/tickets", conditions):
            yield from (self._ticket(r) for r in page)

    def find_ticket_by_marker(self, marker: str) -> PsaTicket | None:
        body, _ = self._call("GET", "service/tickets", params={"conditions": f'externalXRef="OM{marker}"',
                                                               "pageSize": 1})
        return self._ticket(body[0]) if body else None


def _identifier(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name)[:25] or "Company"


def _country_id(name: str) -> int:
    order = ["United States", "United Kingdom", "Canada", "Germany", "Australia"]
    return order.index(name) + 1 if name in order else 1
