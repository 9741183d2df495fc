"""New client as seed 004 describes it: one save creates the client, its business
hours and what other apps add through opsmerge.registry.onboarding_steps (the HQ
site, the primary contact), or nothing at all."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from opsmerge.registry import onboarding_steps

from .business_hours import business_hours_set
from .models import Client
from .services import client_create


def _prefixed(section: str, exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({f"{section}.{k}": v for k, v in exc.message_dict.items()})
    return ValidationError({section: exc.messages})


@transaction.atomic
def client_onboard(
    *,
    msp,
    actor=None,
    client: dict[str, Any],
    business_hours: list | None = None,
    holidays: list | None = None,
    **sections: dict[str, Any],
) -> Client:
    """`client` holds client_create kwargs; each other keyword is the data of the
    onboarding step registered under that key (e.g. hq_site={…}, primary_contact={…}).
    Every registered step runs, in order; errors come back keyed by section, e.g.
    "hq_site.name". A section no step handles is refused."""
    unknown = set(sections) - {step.key for step in onboarding_steps}
    if unknown:
        raise TypeError(f"client_onboard got sections no app handles: {sorted(unknown)}")
    new_client = client_create(msp=msp, actor=actor, **client)
    for step in onboarding_steps:
        try:
            step.apply(msp=msp, client=new_client, data=sections.get(step.key) or {}, actor=actor)
        except ValidationError as exc:
            raise _prefixed(step.key, exc) from None
    if business_hours or holidays:
        business_hours_set(msp=msp, client=new_client, site=None, intervals=business_hours or [],
                           holidays=holidays or [])
    return new_client
