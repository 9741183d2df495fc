"""Validators and normalisers shared by forms, services, the importer and the API."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")


@cache
def iana_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in iana_time_zones():
        raise ValidationError(
            "“%(value)s” is not an IANA time zone (use e.g. Europe/London or America/New_York).",
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_country_code(value: str) -> None:
    if value and pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValidationError(
            "“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE).",
            code="invalid_country",
            params={"value": value},
        )


def validate_subdivision_code(value: str) -> None:
    if value and pycountry.subdivisions.get(code=value.upper()) is None:
        raise ValidationError(
            "“%(value)s” is not an ISO 3166-2 state/region code (e.g. US-CA, GB-MAN).",
            code="invalid_state",
            params={"value": value},
        )


def subdivision_matches_country(state: str, country: str) -> bool:
    return not state or not country or state.upper().startswith(country.upper() + "-")


def normalize_domain(value: str) -> str:
    """'  https://WWW.Acme.co.uk/ ' -> 'acme.co.uk'. Emails give their domain part."""
    value = (value or "").strip().lower()
    if "@" in value:
        value = value.rsplit("@", 1)[1]
    value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if value.startswith("www."):
        value = value[4:]
    return value


def validate_domain(value: str) -> None:
    if not _DOMAIN.match(value or ""):
        raise ValidationError(
            "“%(value)s” is not a valid email domain (e.g. acme.com).",
            code="invalid_domain",
            params={"value": value},
        )


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def validate_email_address(value: str) -> None:
    validate_email(value)


def validate_digits(value: str) -> None:
    if value and not value.isdigit():
        raise ValidationError("Digits only, no spaces or symbols.", code="not_digits")


@cache
def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz.replace("_", " ")) for tz in sorted(iana_time_zones()) if "/" in tz or tz == "UTC"]
