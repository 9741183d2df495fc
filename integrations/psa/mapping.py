"""Neutral PSA fields ↔ OpsMerge columns, and the normal form both sides are compared
in (so "555-123-0001" in the PSA and "5551230001" in OpsMerge are the same phone)."""

from __future__ import annotations

import re

import pycountry

from opsmerge.validators import normalize_domain

from .models import COMPANY_SYNC_FIELDS, CONTACT_SYNC_FIELDS

CLIENT_COLUMNS = {"name": "name", "phone": "phone_number", "website": "website", "street": "street",
                  "city": "city", "region": "state", "postcode": "postal_code", "country": "country"}
CONTACT_COLUMNS = {"first_name": "first_name", "last_name": "last_name", "email": "email", "phone": "phone",
                   "mobile": "mobile", "title": "job_title"}
LIMITS = {"name": 200, "phone_number": 20, "website": 200, "street": 255, "city": 120, "postal_code": 20,
          "first_name": 100, "last_name": 100, "email": 254, "phone": 40, "mobile": 40, "job_title": 120}
_DIGITS = re.compile(r"\D+")


def norm(field: str, value) -> str:
    value = "" if value is None else str(value).strip()
    if field == "website":
        return re.sub(r"^https?://", "", value.lower()).rstrip("/")
    if field in ("country", "region"):
        return value.upper().split("-", 1)[-1] if field == "region" else value.upper()
    if field == "email":
        return value.lower()
    return value


def company_norm(fields: dict) -> dict[str, str]:
    out = {f: norm(f, fields.get(f, "")) for f in COMPANY_SYNC_FIELDS}
    out["phone"] = _DIGITS.sub("", out["phone"])  # OpsMerge keeps a client's phone as digits
    return out


def contact_norm(fields: dict) -> dict[str, str]:
    return {f: norm(f, fields.get(f, "")) for f in CONTACT_SYNC_FIELDS}


def client_neutral(row: dict) -> dict[str, str]:
    """Neutral, normalised fields of a client row (values() dict with column names)."""
    return company_norm({f: row.get(col, "") for f, col in CLIENT_COLUMNS.items()})


def contact_neutral(row: dict) -> dict[str, str]:
    return contact_norm({f: row.get(col, "") for f, col in CONTACT_COLUMNS.items()})


def _website(value: str) -> str:
    if not value:
        return ""
    value = value if re.match(r"^https?://", value, re.I) else f"https://{value}"
    return value[:200]


def client_columns(fields: dict[str, str], *, country: str = "") -> dict[str, str]:
    """OpsMerge column values for neutral (normalised) fields; `country` gives the
    region its ISO 3166-2 prefix when the fields carry only the region."""
    out = {}
    for field, value in fields.items():
        column = CLIENT_COLUMNS.get(field)
        if column is None:
            continue
        if field == "phone":
            value = _DIGITS.sub("", value)
        elif field == "website":
            value = _website(value)
        elif field == "country":
            value = value if len(value) == 2 and pycountry.countries.get(alpha_2=value) else ""
        elif field == "region":
            cc = (fields.get("country") or country or "").upper()
            code = f"{cc}-{value}" if cc and value else ""
            value = code if code and len(code) <= 6 and pycountry.subdivisions.get(code=code) else ""
        out[column] = value[:LIMITS.get(column, 255)]
    return out


def contact_columns(fields: dict[str, str]) -> dict[str, str]:
    return {CONTACT_COLUMNS[f]: (v or "")[:LIMITS.get(CONTACT_COLUMNS[f], 255)]
            for f, v in fields.items() if f in CONTACT_COLUMNS}


def company_domain(company) -> str:
    return normalize_domain(company.domain or company.website or "")
