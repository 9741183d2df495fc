"""Export formats of the tools MSPs bring data from, recognised by their header.

A format offers a column mapping and, for what a plain mapping cannot express, rules
that fill a row's raw values from other cells of the same row before the normal
cleaning runs (so every value still goes through cells.py and its messages):
- Microsoft 365 admin center "Export users": the address is the primary `SMTP:` entry
  of *Proxy addresses* (else *User principal name*), names may only be in *Display
  name*, *Block credential* = inactive, guests (`#EXT#`) are skipped and reported;
- Outlook (new and classic desktop): *Company* is the person's organisation (never a
  client), *Title* is a courtesy title (Mr., Dr.), *Job Title* is the job; classic
  Exchange entries (`E-mail Type` EX) carry an X.500 path, the address is then taken
  from *E-mail Display Name* or the next address; *Categories* are tags;
- Google Contacts (the current and the older CSV): ` ::: ` separates several values of
  a cell, phones are typed by their label, "* myContacts" / "* starred" are not tags;
- vCard (.vcf, read by reading.py into the columns below);
- ConnectWise PSA, Autotask and HaloPSA company and contact exports.

A rule only fills a value whose field is not mapped or whose cell is blank: the user
can always change the mapping, and a mapped column wins. `row.sources` records which
column a filled value came from, so its errors name that column.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .cells import clean_cell
from .columns import CLIENTS, CONTACTS, header_key
from .processors.base import Row

Cell = Callable[[str], str]  # header key -> the raw cell of this row ("" if absent)


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    kind: str
    signature: tuple[str, ...]  # header keys that must all be present
    columns: dict[str, str]  # header key -> field key ("" = ignore on purpose)
    supplies: frozenset[str] = frozenset()  # mandatory fields the rules derive from other columns
    rules: Callable[[Row, Cell, dict[str, str]], None] | None = None
    note: str = ""  # shown on the mapping page
    headers: dict[str, str] = field(default_factory=dict)  # header key -> header as the file spells it


def _fill(row: Row, key: str, value: str, source: str) -> None:
    """Set a raw value the mapping left blank, remembering the column it came from."""
    value = (value or "").strip()
    if value and not row.values.get(key):
        row.values[key] = value
        row.sources[key] = source


def _split_name(row: Row, full: str, source: str) -> None:
    full = " ".join((full or "").split())
    if not full or row.values.get("first_name") or row.values.get("last_name"):
        return
    if "," in full:  # "Smith, Jane"
        last, _, first = full.partition(",")
    else:
        first, _, last = full.rpartition(" ") if " " in full else (full, "", "")
    _fill(row, "first_name", first.strip(), source)
    _fill(row, "last_name", last.strip(), source)


# --- Microsoft 365 admin center: Users → Active users → Export users ----------------

_PROXY_SPLIT = re.compile(r"[+;,\s]+(?=(?:smtp|x500|x400|sip|spo|eum|fax):)", re.IGNORECASE)


def primary_smtp(proxies: str) -> str:
    """'smtp:a@x.onmicrosoft.com+SMTP:jane@contoso.com' -> 'jane@contoso.com': the
    upper-case SMTP: entry is the primary address; else the first smtp: one."""
    entries = [e.strip() for e in _PROXY_SPLIT.split(proxies or "") if e.strip()]
    for entry in entries:
        if entry.startswith("SMTP:"):
            return entry[5:]
    for entry in entries:
        if entry.lower().startswith("smtp:"):
            return entry[5:]
    return ""


def _m365_users(row: Row, cell: Cell, header: dict[str, str]) -> None:
    upn = cell("userprincipalname")
    if "#ext#" in upn.lower():
        row.sources["email"] = header["userprincipalname"]
        row.values.setdefault("email", "")
        row.skip("email", f"Guest account ({upn}) of another organisation: guests are not imported as contacts.")
        return
    _fill(row, "email", primary_smtp(cell("proxyaddresses")), header.get("proxyaddresses", ""))
    _fill(row, "email", upn, header.get("userprincipalname", ""))
    _split_name(row, cell("displayname"), header.get("displayname", ""))
    blocked = cell("blockcredential").strip().lower()
    if blocked and "is_active" not in row.values:
        row.values["is_active"] = "no" if blocked in ("true", "yes", "1") else "yes"
        row.sources["is_active"] = header["blockcredential"]


M365_USERS = ExportFormat(
    key="m365_users", label="Microsoft 365 admin center — Export users", kind=CONTACTS,
    signature=("userprincipalname", "proxyaddresses", "blockcredential", "displayname"),
    columns={"firstname": "first_name", "lastname": "last_name", "title": "job_title", "department": "department",
             "office": "office", "phonenumber": "phone", "mobilephone": "mobile"},
    supplies=frozenset({"first_name", "last_name", "email"}), rules=_m365_users,
    note="Email comes from the primary SMTP: proxy address (else the user principal name), names from "
         "Display name when First/Last name are blank; Block credential = inactive; guests (#EXT#) are skipped.",
)


# --- Outlook ------------------------------------------------------------------------

_IN_PARENS = re.compile(r"\(([^()\s]+@[^()\s]+)\)")


def _outlook(row: Row, cell: Cell, header: dict[str, str]) -> None:
    address = row.values.get("email", "")
    if address and ("@" not in address or cell("emailtype").upper() == "EX"):
        # An Exchange (X.500) entry: "/o=ExchangeLabs/ou=…/cn=Recipients/cn=…".
        row.values["email"] = ""
        found = _IN_PARENS.search(cell("emaildisplayname"))
        _fill(row, "email", found.group(1) if found else "", header.get("emaildisplayname", ""))
    for other in ("email2address", "email3address"):
        if "@" in cell(other):
            _fill(row, "email", cell(other), header.get(other, ""))
    if row.values.get("tags"):  # Outlook separates categories with ";"
        row.values["tags"] = row.values["tags"].replace(";", ",")
    if not row.values.get("first_name") and not row.values.get("last_name"):
        _split_name(row, cell("emaildisplayname").split("(")[0], header.get("emaildisplayname", ""))


_OUTLOOK_COLUMNS = {"firstname": "first_name", "lastname": "last_name", "emailaddress": "email",
                    "company": "organisation_name", "jobtitle": "job_title", "department": "department",
                    "officelocation": "office", "businessphone": "phone", "mobilephone": "mobile",
                    "categories": "tags", "title": ""}
OUTLOOK = ExportFormat(
    key="outlook", label="Outlook contacts (CSV export)", kind=CONTACTS,
    signature=("firstname", "lastname", "emailaddress", "email2address", "businessphone", "jobtitle", "company"),
    columns=_OUTLOOK_COLUMNS, rules=_outlook,
    note="Company is kept as the person's organisation name (it is not one of your clients); Title is a courtesy "
         "title and is ignored; Categories become tags.",
)
OUTLOOK_CLASSIC = ExportFormat(
    key="outlook_classic", label="Outlook desktop (classic) — Export to a file", kind=CONTACTS,
    signature=(*OUTLOOK.signature, "emailtype", "emaildisplayname", "businessstreet"),
    columns=_OUTLOOK_COLUMNS, rules=_outlook, note=OUTLOOK.note + " Exchange (EX) entries use the address in "
                                                                  "E-mail Display Name.",
)


# --- Google Contacts ----------------------------------------------------------------

def _first(value: str) -> str:
    return value.split(" ::: ")[0].strip()


def _google(row: Row, cell: Cell, header: dict[str, str]) -> None:
    if " ::: " in row.values.get("email", ""):
        row.values["email"] = _first(row.values["email"])
    for n in range(1, 6):
        value = _first(cell(f"phone{n}value"))
        if not value:
            continue
        label = (cell(f"phone{n}label") or cell(f"phone{n}type")).lower()
        _fill(row, "mobile" if "mobile" in label or "cell" in label else "phone", value,
              header.get(f"phone{n}value", ""))
    if row.values.get("tags"):
        labels = [t.strip().lstrip("*").strip() for t in row.values["tags"].split(":::")]
        row.values["tags"] = ", ".join(t for t in labels if t and t.casefold() not in ("mycontacts", "starred"))
    for name in ("name", "fileas"):
        _split_name(row, cell(name), header.get(name, ""))


GOOGLE = ExportFormat(
    key="google", label="Google Contacts (CSV export)", kind=CONTACTS, signature=("email1value",),
    columns={"firstname": "first_name", "givenname": "first_name", "lastname": "last_name",
             "familyname": "last_name", "email1value": "email", "organizationname": "organisation_name",
             "organization1name": "organisation_name", "organizationtitle": "job_title",
             "organization1title": "job_title", "organizationdepartment": "department",
             "organization1department": "department", "labels": "tags", "groupmembership": "tags"},
    rules=_google,
    note="The first of several values (“ ::: ”) is used; phones are typed by their label; Labels become tags.",
)


# --- vCard (reading.py turns the cards into these columns) ----------------------------

VCARD_HEADERS = ["Full name", "First name", "Last name", "Email", "Phone", "Mobile", "Organisation", "Job title",
                 "Department", "Categories"]


def _vcard(row: Row, cell: Cell, header: dict[str, str]) -> None:
    _split_name(row, cell("fullname"), "Full name")


VCARD = ExportFormat(
    key="vcard", label="vCard (.vcf: Apple Contacts, iPhone, Outlook, Google)", kind=CONTACTS,
    signature=tuple(header_key(h) for h in VCARD_HEADERS),
    columns={"firstname": "first_name", "lastname": "last_name", "email": "email", "phone": "phone",
             "mobile": "mobile", "organisation": "organisation_name", "jobtitle": "job_title",
             "department": "department", "categories": "tags"},
    rules=_vcard,
    note="One row per card; the preferred (else first) email; CELL phones are mobiles; ORG is the organisation.",
)


# --- PSA exports --------------------------------------------------------------------

def _psa_contact(row: Row, cell: Cell, header: dict[str, str]) -> None:
    for name in ("name", "contactname", "fullname"):
        _split_name(row, cell(name), header.get(name, ""))
    inactive = cell("inactive") or cell("inactiveflag")
    if inactive and "is_active" not in row.values:
        row.values["is_active"] = "no" if inactive.strip().lower() in ("true", "yes", "1", "y") else "yes"
        row.sources["is_active"] = header.get("inactive") or header.get("inactiveflag", "")


def _psa_company(row: Row, cell: Cell, header: dict[str, str]) -> None:
    import pycountry

    country = row.values.get("country", "")
    if len(country) > 2:  # "United States" -> "US"
        with contextlib.suppress(LookupError):
            row.values["country"] = pycountry.countries.lookup(country).alpha_2
    state, country = row.values.get("state", ""), row.values.get("country", "")
    if state and "-" not in state and len(country) == 2 and len(state) <= 3:
        row.values["state"] = f"{country.upper()}-{state.upper()}"
    website = row.values.get("website", "")
    if website and "domains" not in row.values:
        host = re.sub(r"^(https?://)?(www\.)?", "", website.strip().lower()).split("/")[0]
        _fill(row, "domains", host, header.get("website", "") or header.get("webaddress", ""))
    _fill(row, "site_name", DEFAULT_SITE, "")  # PSA company lists without sites: the HQ gets a plain name
    for name in ("defaultcontact", "primarycontact", "defaultcontactname", "primarycontactname"):
        full = " ".join(cell(name).split())
        if full and not row.values.get("contact_first_name") and not row.values.get("contact_last_name"):
            first, _, last = full.rpartition(" ") if " " in full else (full, "", "")
            _fill(row, "contact_first_name", first, header[name])
            _fill(row, "contact_last_name", last, header[name])


DEFAULT_SITE = "Main office"
COMPANY_SUPPLIES = frozenset({"contact_first_name", "contact_last_name", "site_name"})
_ADDRESS = {"city": "city", "state": "state", "zip": "postal_code", "postalcode": "postal_code", "country": "country",
            "website": "website", "webaddress": "website", "timezone": "time_zone", "phone": "phone_number",
            "phonenumber": "phone_number"}

CONNECTWISE_COMPANIES = ExportFormat(
    key="connectwise_companies", label="ConnectWise PSA — companies", kind=CLIENTS,
    signature=("companyid", "companyname", "addressline1"),
    columns={"companyname": "name", "sitename": "site_name", "addressline1": "street", "defaultcontactemail":
             "contact_email", "market": "industry", **_ADDRESS},
    supplies=COMPANY_SUPPLIES, rules=_psa_company,
    note="Country names become ISO codes and US-style states get their country prefix; the website's host is the "
         "email domain; Default Contact is split into the primary contact's names; without a site column the HQ "
         "site is called “Main office”.",
)
CONNECTWISE_CONTACTS = ExportFormat(
    key="connectwise_contacts", label="ConnectWise PSA — contacts", kind=CONTACTS,
    signature=("firstname", "lastname", "companyid", "defaultemail"),
    columns={"firstname": "first_name", "lastname": "last_name", "defaultemail": "email", "companyname": "client",
             "company": "client", "title": "job_title", "department": "department", "defaultphone": "phone",
             "mobile": "mobile", "primarycontact": "is_primary"},
    rules=_psa_contact, note="Company Name is the client; Inactive Flag = inactive.",
)
AUTOTASK_COMPANIES = ExportFormat(
    key="autotask_companies", label="Autotask — organizations (companies)", kind=CLIENTS,
    signature=("address1", "address2", "postalcode", "website", "primarycontact"),
    columns={"organizationname": "name", "companyname": "name", "address1": "street",
             "primarycontactemail": "contact_email", **_ADDRESS},
    supplies=COMPANY_SUPPLIES, rules=_psa_company,
    note=CONNECTWISE_COMPANIES.note,
)
AUTOTASK_CONTACTS = ExportFormat(
    key="autotask_contacts", label="Autotask — contacts", kind=CONTACTS,
    signature=("firstname", "lastname", "emailaddress", "primarycontact", "active"),
    columns={"firstname": "first_name", "lastname": "last_name", "emailaddress": "email",
             "organizationname": "client", "companyname": "client", "title": "job_title", "phone": "phone",
             "mobilephone": "mobile", "primarycontact": "is_primary", "active": "is_active"},
    rules=_psa_contact, note="Organization (Company) Name is the client.",
)
HALO_CLIENTS = ExportFormat(
    key="halo_clients", label="HaloPSA — customers", kind=CLIENTS,
    signature=("name", "toplevel", "mainsite"),
    columns={"name": "name", "mainsite": "site_name", "address": "street", "primarycontactemail": "contact_email",
             **_ADDRESS},
    supplies=COMPANY_SUPPLIES, rules=_psa_company,
    note=CONNECTWISE_COMPANIES.note,
)
HALO_USERS = ExportFormat(
    key="halo_users", label="HaloPSA — users (contacts)", kind=CONTACTS,
    signature=("name", "clientname", "sitename", "emailaddress", "inactive"),
    columns={"clientname": "client", "emailaddress": "email", "phonenumber": "phone", "mobilenumber": "mobile",
             "jobtitle": "job_title", "department": "department", "sitename": "office"},
    supplies=frozenset({"first_name", "last_name"}), rules=_psa_contact,
    note="Name is split into first and last name; Client Name is the client; Inactive = inactive.",
)

FORMATS: dict[str, ExportFormat] = {f.key: f for f in (
    M365_USERS, OUTLOOK_CLASSIC, OUTLOOK, GOOGLE, VCARD, CONNECTWISE_COMPANIES, CONNECTWISE_CONTACTS,
    AUTOTASK_COMPANIES, AUTOTASK_CONTACTS, HALO_CLIENTS, HALO_USERS)}


def formats_for(kind: str) -> list[ExportFormat]:
    return [f for f in FORMATS.values() if f.kind == kind]


def detect(kind: str, headers: list[str]) -> ExportFormat | None:
    """The recognised export whose signature the header holds (the most specific one)."""
    keys = {header_key(h) for h in headers}
    found = [f for f in formats_for(kind) if keys.issuperset(f.signature)]
    return max(found, key=lambda f: len(f.signature), default=None)


def format_mapping(fmt: ExportFormat, headers: list[str]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = fmt.columns.get(header_key(header))
        if key and key not in used:
            mapping[index] = key
            used.add(key)
    return mapping


class FormatRules:
    """Applies a format's rules to the rows of one job (header keys resolved once)."""

    def __init__(self, fmt: ExportFormat, headers: list[str]):
        self.fmt = fmt
        self.index: dict[str, int] = {}
        self.header: dict[str, str] = {}
        for i, h in enumerate(headers):
            self.index.setdefault(header_key(h), i)
            self.header.setdefault(header_key(h), h)

    def apply(self, row: Row) -> None:
        if self.fmt.rules is None:
            return
        cells, index = row.cells, self.index

        def cell(key: str) -> str:
            i = index.get(key)
            return clean_cell(cells[i]) if i is not None and i < len(cells) else ""

        self.fmt.rules(row, cell, self.header)
