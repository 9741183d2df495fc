"""The connector contract (issue 16, /work/psa-contract.md in code): neutral records,
the error every connector raises, and the abstract Connector each PSA implements.

The framework (integrations/psa/sync.py) only ever sees these types: a connector
translates its product's JSON, paging, filters and error shapes into them.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..http import PsaHttp

# Neutral field names of create/update dicts (what the framework may send).
COMPANY_FIELDS = ("name", "phone", "website", "domain", "street", "city", "region", "postcode", "country")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "mobile", "title")
TICKET_FIELDS = ("summary", "description", "priority", "contact_external_id", "status")
TICKET_STATUSES = ("new", "open", "waiting", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, slots=True)
class PsaCompany:
    external_id: str
    name: str
    active: bool = True
    updated_at: datetime | None = None
    phone: str = ""
    website: str = ""
    domain: str = ""  # from website/email domain if the PSA has one
    street: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def fields(self) -> dict[str, str]:
        """The neutral field values (what ownership rules and conflicts compare)."""
        return {name: getattr(self, name) for name in COMPANY_FIELDS}


@dataclass(frozen=True, slots=True)
class PsaContact:
    external_id: str
    company_external_id: str
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    mobile: str = ""
    title: str = ""
    active: bool = True
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CONTACT_FIELDS}


@dataclass(frozen=True, slots=True)
class PsaTicket:
    external_id: str
    company_external_id: str
    summary: str
    description: str = ""
    status: str = "open"  # one of TICKET_STATUSES (OpsMerge Ticket.Status values)
    contact_external_id: str = ""
    priority: str = "normal"  # one of TICKET_PRIORITIES
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


class PsaError(Exception):
    """A refusal or failure of the PSA, in neutral terms.

    kind: "auth" | "permission" | "not_found" | "validation" | "rate_limited" | "transient" | "unexpected".
    field_errors maps NEUTRAL field names (or "" for the record) to the vendor's messages.
    """

    KINDS = ("auth", "permission", "not_found", "validation", "rate_limited", "transient", "unexpected")
    RETRYABLE = frozenset({"rate_limited", "transient"})

    def __init__(self, kind: str, code: str = "", message: str = "", *,
                 field_errors: dict[str, list[str]] | None = None, status: int | None = None,
                 retry_after: float | None = None):
        assert kind in self.KINDS, kind
        self.kind, self.code, self.message = kind, code, message
        self.field_errors, self.status, self.retry_after = field_errors, status, retry_after
        super().__init__(f"{kind}: {code} {message}".strip())

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE

    def describe(self) -> str:
        """One line for a person: "name — Company name is required."."""
        parts = [self.message or self.code or self.kind]
        for name, messages in (self.field_errors or {}).items():
            parts.append(f"{name or 'record'} — {'; '.join(messages)}")
        return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class CredentialField:
    """One input of the connect form (Settings → Integrations → PSA)."""

    name: str
    label: str
    secret: bool = False
    help: str = ""
    required: bool = True


class Connector(abc.ABC):
    """One PSA product. list_* iterate every page (the connector follows the vendor's
    paging); `since` is inclusive (changed at/after), aware UTC; the framework already
    subtracted its clock-skew margin. Create/update take neutral field dicts and return
    the record as the PSA now has it."""

    kind: ClassVar[str]
    label: ClassVar[str]
    credential_fields: ClassVar[list[CredentialField]]
    supports_inactive: ClassVar[bool] = True
    page_size: ClassVar[int] = 25
    # Optional: a product that lets the caller ask for bigger pages sets this (the
    # framework uses page_size unless told otherwise; the bench reports both).
    max_page_size: ClassVar[int | None] = None

    def __init__(self, *, base_url: str, credentials: dict[str, str], http: PsaHttp | None = None,
                 page_size: int | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = dict(credentials)
        if page_size is not None:
            self.page_size = min(page_size, self.max_page_size or page_size)  # instance override
        self.http = http if http is not None else self.make_http()

    def make_http(self) -> PsaHttp:
        from ..http import PsaHttp

        return PsaHttp(self.base_url, auth_headers=self.auth_headers, on_401=self.on_401)

    def auth_headers(self) -> dict[str, str]:
        return {}

    on_401: Callable[[], bool] | None = None  # a product with tokens refreshes here and returns True

    @property
    def requests(self) -> int:
        return self.http.requests

    # -- companies ------------------------------------------------------------------
    @abc.abstractmethod
    def check(self) -> None: ...

    @abc.abstractmethod
    def list_companies(self, *, since: datetime | None = None) -> Iterator[PsaCompany]: ...

    @abc.abstractmethod
    def get_company(self, external_id: str) -> PsaCompany: ...

    @abc.abstractmethod
    def create_company(self, fields: dict) -> PsaCompany: ...

    @abc.abstractmethod
    def update_company(self, external_id: str, fields: dict) -> PsaCompany: ...

    @abc.abstractmethod
    def set_company_active(self, external_id: str, active: bool) -> None: ...

    # -- contacts -------------------------------------------------------------------
    @abc.abstractmethod
    def list_contacts(self, *, since: datetime | None = None,
                      company_external_id: str | None = None) -> Iterator[PsaContact]: ...

    @abc.abstractmethod
    def create_contact(self, company_external_id: str, fields: dict) -> PsaContact: ...

    @abc.abstractmethod
    def update_contact(self, external_id: str, fields: dict) -> PsaContact: ...

    # -- tickets --------------------------------------------------------------------
    @abc.abstractmethod
    def create_ticket(self, company_external_id: str, fields: dict) -> PsaTicket: ...

    @abc.abstractmethod
    def get_ticket(self, external_id: str) -> PsaTicket: ...

    @abc.abstractmethod
    def list_tickets(self, *, since: datetime | None = None,
                     external_ids: list[str] | None = None) -> Iterator[PsaTicket]: ...

    # -- optional: idempotent create --------------------------------------------------
    def find_company_by_marker(self, marker: str) -> PsaCompany | None:
        """The company we created with this idempotency marker, if the product can
        search for it (a killed worker's create that reached the PSA). Default: None;
        the framework then falls back to an exact-name lookup through list_companies."""
        return None
