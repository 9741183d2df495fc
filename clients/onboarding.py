"""New client as seed 004 describes it: one save creates the client, its HQ site,
its primary contact and business hours, or nothing at all."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from contacts.services import contact_create
from sites.services import site_create

from .business_hours import business_hours_set
from .models import Client
from .services import client_create


@transaction.atomic
def client_onboard(
    *,
    msp,
    actor=None,
    client: dict[str, Any],
    hq_site: dict[str, Any],
    primary_contact: dict[str, Any],
    business_hours: list | None = None,
    holidays: list | None = None,
) -> Client:
    """`client` holds client_create kwargs, `hq_site` site fields, `primary_contact`
    contact fields. Errors come back keyed by section, e.g. "hq_site.name"."""
    email = (primary_contact.get("email") or "").strip().lower()
    if actor is not None and email and email == actor.email.lower():
        raise ValidationError({"primary_contact.email": "Use the client's email, not your own sign-in email."})
    for key in ("first_name", "last_name", "email"):
        if not (primary_contact.get(key) or "").strip():
            raise ValidationError({f"primary_contact.{key}": "This field is required."})
    if not (hq_site.get("name") or "").strip():
        raise ValidationError({"hq_site.name": "This field is required."})

    def prefixed(section: str, exc: ValidationError) -> ValidationError:
        if hasattr(exc, "error_dict"):
            return ValidationError({f"{section}.{k}": v for k, v in exc.message_dict.items()})
        return ValidationError({section: exc.messages})

    new_client = client_create(msp=msp, actor=actor, **client)
    try:
        site_create(msp=msp, client=new_client, actor=actor, **{**hq_site, "is_hq": True})
    except ValidationError as exc:
        raise prefixed("hq_site", exc) from None
    try:
        contact_create(msp=msp, actor=actor, **{**primary_contact, "client": new_client, "is_primary": True})
    except ValidationError as exc:
        raise prefixed("primary_contact", exc) from None
    if business_hours or holidays:
        business_hours_set(msp=msp, client=new_client, site=None, intervals=business_hours or [],
                           holidays=holidays or [])
    return new_client
