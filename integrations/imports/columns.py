"""The column schema of every import kind: one list per kind drives the template
download, the automatic column mapping, the importer and the exporter, so a file
exported from OpsMerge always re-imports cleanly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

CLIENTS = "clients"
CONTACTS = "contacts"
SITES = "sites"
KINDS = (CLIENTS, CONTACTS, SITES)
KIND_CHOICES = [(CLIENTS, "Clients"), (CONTACTS, "Contacts"), (SITES, "Sites")]


@dataclass(frozen=True)
class Column:
    key: str  # field key the importer uses
    header: str  # exact header of the template and of exports
    required: bool = False  # the column must be mapped, and each row needs a value
    synonyms: tuple[str, ...] = field(default=())
    help: str = ""
    custom: bool = False  # an MSP-defined custom field (its synonyms are its key)


_CLIENT_COLUMNS = (
    Column("name", "ClientName", True, ("client", "company", "company name", "client name", "organisation",
                                        "organization", "customer", "customer name", "account", "account name")),
    Column("contact_first_name", "PrimaryContactFirstName", True, ("first name", "contact first name", "firstname")),
    Column("contact_last_name", "PrimaryContactLastName", True, ("last name", "surname", "contact last name",
                                                                 "lastname")),
    Column("contact_email", "PrimaryContactEmail", True, ("email", "e-mail", "contact email", "primary email",
                                                          "email address", "e-mail address")),
    Column("site_name", "SiteName", True, ("site", "hq", "headquarters", "office", "location", "hq site")),
    Column("time_zone", "Timezone", True, ("time zone", "tz", "timezone name"), "IANA name, e.g. Europe/London"),
    Column("phone_country_code", "PhoneCode", False, ("phone code", "country code", "dial code",
                                                      "phone country code"), "Digits only, e.g. 44"),
    Column("phone_number", "PhoneNumber", False, ("phone", "telephone", "tel", "phone no", "phone number"),
           "Digits only, no spaces"),
    Column("street", "Street", False, ("address", "street address", "address line 1")),
    Column("city", "City", False, ("town",)),
    Column("postal_code", "PostalCode", False, ("postcode", "post code", "zip", "zip code")),
    Column("state", "State", False, ("region", "province", "county", "state code"), "ISO 3166-2, e.g. US-CA"),
    Column("country", "Country", False, ("country code", "nation"), "ISO 3166-1 alpha-2, e.g. GB"),
    Column("domains", "EmailDomains", False, ("domain", "domains", "email domain", "email domains", "website domain"),
           "Comma-separated; the first is the primary"),
    Column("account_manager", "AccountManager", False, ("account manager email", "manager"),
           "Email of one of your technicians"),
    Column("tech_groups", "TechGroups", False, ("tech group", "technician groups", "groups", "teams"),
           "Comma-separated names of existing tech groups"),
    Column("industry", "Industry", False, ("sector", "vertical")),
    Column("website", "Website", False, ("web", "url", "homepage", "web site")),
    Column("tags", "Tags", False, ("tag", "labels")),
)

_CONTACT_COLUMNS = (
    Column("first_name", "FirstName", True, ("first", "given name", "forename", "first name")),
    Column("last_name", "LastName", True, ("last", "surname", "family name", "last name")),
    Column("email", "Email", True, ("e-mail", "email address", "e-mail address", "mail", "work email")),
    Column("client", "ClientName", False, ("client", "company", "company name", "client name", "organisation",
                                           "organization", "customer", "account")),
    Column("phone", "Phone", False, ("telephone", "tel", "phone number", "work phone", "business phone")),
    Column("mobile", "Mobile", False, ("mobile phone", "cell", "cell phone", "mobile number")),
    Column("job_title", "JobTitle", False, ("title", "job title", "position", "role")),
    Column("department", "Department", False, ("dept",)),
    Column("office", "Office", False, ("office location",)),
    Column("kind", "Kind", False, ("type", "contact type"), "person or organisation"),
    Column("organisation_name", "OrganisationName", False, ("organization name",)),
    Column("is_primary", "Primary", False, ("primary contact", "is primary")),
    Column("is_billing", "Billing", False, ("billing contact", "is billing")),
    Column("is_portal_user", "PortalUser", False, ("portal", "portal user", "portal access")),
    Column("is_technical", "Technical", False, ("technical contact", "is technical")),
    Column("is_vip", "VIP", False, ("is vip",)),
    Column("is_active", "Active", False, ("is active", "enabled")),
    Column("tags", "Tags", False, ("tag", "labels")),
)

_SITE_COLUMNS = (
    Column("client", "ClientName", True, ("client", "company", "company name", "customer")),
    Column("name", "SiteName", True, ("site", "site name", "name", "location name")),
    Column("is_hq", "HQ", False, ("is hq", "headquarters")),
    Column("location", "Location", False, ("floor",)),
    Column("time_zone", "Timezone", False, ("time zone", "tz")),
    Column("street", "Street", False, ("address", "street address")),
    Column("city", "City", False, ("town",)),
    Column("postal_code", "PostalCode", False, ("postcode", "post code", "zip", "zip code")),
    Column("state", "State", False, ("region", "province")),
    Column("country", "Country", False, ("country code",)),
)

COLUMNS: dict[str, tuple[Column, ...]] = {CLIENTS: _CLIENT_COLUMNS, CONTACTS: _CONTACT_COLUMNS, SITES: _SITE_COLUMNS}

# Contacts imported into one chosen client (Client → Contacts → Import): every row
# goes to that client, so there is no ClientName; a Company / ClientName column is the
# person's organisation name (an Outlook export's Company is never one of our clients).
_CLIENT_COLUMN = next(c for c in _CONTACT_COLUMNS if c.key == "client")
INTO_CLIENT_CONTACT_COLUMNS = tuple(
    replace(c, synonyms=(*c.synonyms, _CLIENT_COLUMN.header, *_CLIENT_COLUMN.synonyms))
    if c.key == "organisation_name" else c for c in _CONTACT_COLUMNS if c.key != "client")


def columns_for(kind: str, msp=None, *, into_client: bool = False) -> tuple[Column, ...]:
    """The kind's columns; with `msp`, followed by that MSP's custom fields of the kind.
    `into_client`: the columns of a contacts import into one client."""
    base = INTO_CLIENT_CONTACT_COLUMNS if into_client and kind == CONTACTS else COLUMNS[kind]
    if msp is None:
        return base
    from .custom import custom_columns

    return (*base, *custom_columns(msp=msp, kind=kind))


def headers_for(kind: str, msp=None) -> list[str]:
    return [c.header for c in columns_for(kind, msp)]


def header_key(header: str) -> str:
    """'E-mail Address ' -> 'emailaddress': case, spaces and punctuation do not matter."""
    return re.sub(r"[^0-9a-z]", "", (header or "").casefold())


def auto_mapping(kind: str, headers: list[str], remembered: dict[str, str] | None = None, msp=None, *,
                 into_client: bool = False) -> dict[int, str]:
    """{column index in the file: field key}. The exact header (or a custom field's
    key) wins, then what this MSP mapped before, then synonyms; each field is used at
    most once. With `msp`, its custom fields of the kind are mapped too."""
    columns = columns_for(kind, msp, into_client=into_client)
    by_key: dict[str, str] = {}
    exact: dict[str, str] = {}
    for col in columns:
        for name in (col.header, col.key, *col.synonyms):
            by_key.setdefault(header_key(name), col.key)
        for name in (col.header, *(col.synonyms if col.custom else ())):
            exact.setdefault(header_key(name), col.key)  # built-in headers first: they win
    valid = {c.key for c in columns}
    remembered = {k: v for k, v in (remembered or {}).items() if v in valid or v == ""}
    mapping: dict[int, str] = {}  # "" = explicitly ignored by this MSP
    used: set[str] = set()
    for source in (exact, remembered, by_key):
        for index, header in enumerate(headers):
            key = source.get(header_key(header))
            if index in mapping or key is None or key in used:
                continue
            mapping[index] = key
            if key:
                used.add(key)
    return {i: k for i, k in mapping.items() if k}


def missing_required(kind: str, mapping: dict[int, str], supplied=frozenset()) -> list[str]:
    """Mandatory built-in columns not mapped (a required custom field is checked per
    new record, as the forms do: its column is optional on updates). `supplied`: fields
    a recognised export format derives from other columns (formats.py)."""
    mapped = set(mapping.values()) | set(supplied)
    return [c.header for c in COLUMNS[kind] if c.required and c.key not in mapped]
