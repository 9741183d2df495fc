"""Writes on clients. Views, the API, the importer and the M365 sync all call these,
so rules cannot drift between entry points. Every write is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from opsmerge.audit import audit_record, diff, snapshot
from opsmerge.db import lock_for_update
from opsmerge.validators import normalize_domain, validate_domain

from .business_hours import calendar_changed
from .custom_fields import custom_fields_clean
from .models import Client, ClientDomain, ClientTag, ClientTechGroup, CustomField, Tag

# Fields a client form/API may set directly; everything else goes through a service.
CLIENT_FIELDS = (
    "name", "status", "industry", "time_zone", "priority_floor", "phone_country_code", "phone_number",
    "website", "street", "city", "postal_code", "state", "country", "notes", "logo", "account_manager",
    "psa_id", "is_compliance_tenant",
)


def client_assert_open(client: Client | None) -> None:
    """Archived clients receive nothing new (seed 003): tickets, contacts, sites,
    contracts, invoices, documents, asset reassignment, M365 sync."""
    if client is not None and client.is_archived:
        raise ValidationError({"client": f"{client.name} is archived: restore it before adding anything to it."})


def tags_get_or_create(*, msp, names: Iterable[str]) -> list[Tag]:
    """Tags by name, created on the fly; names compare case-insensitively and keep
    the spelling first used."""
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())[:64]
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return []
    existing = {t.name.lower(): t for t in Tag.objects.filter(msp=msp).annotate(lname=Lower("name"))
                .filter(lname__in=list(wanted))}
    missing = [Tag(msp=msp, name=name) for key, name in wanted.items() if key not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name.lower(): t for t in Tag.objects.filter(msp=msp).annotate(lname=Lower("name"))
                    .filter(lname__in=list(wanted))}
    return [existing[key] for key in wanted]


def _clean_domains(*, msp, client: Client | None, domains: Iterable[str]) -> list[str]:
    clean: list[str] = []
    for raw in domains:
        domain = normalize_domain(raw)
        if not domain:
            continue
        try:
            validate_domain(domain)
        except ValidationError as exc:
            raise ValidationError({"domains": exc.messages}) from None
        if domain not in clean:
            clean.append(domain)
    taken = ClientDomain.objects.filter(msp=msp, domain__in=clean).select_related("client")
    if client is not None and client.pk:
        taken = taken.exclude(client=client)
    for row in taken:
        raise ValidationError({"domains": f"{row.domain} already belongs to client {row.client.name}."})
    return clean


def client_set_domains(*, msp, client: Client, domains: Iterable[str]) -> list[str]:
    """Replace the client's email domains; the first one is the primary."""
    clean = _clean_domains(msp=msp, client=client, domains=domains)
    ClientDomain.objects.filter(msp=msp, client=client).exclude(domain__in=clean).delete()
    current = set(ClientDomain.objects.filter(msp=msp, client=client).values_list("domain", flat=True))
    ClientDomain.objects.filter(msp=msp, client=client).update(is_primary=False)
    ClientDomain.objects.bulk_create(
        [ClientDomain(msp=msp, client=client, domain=d) for d in clean if d not in current]
    )
    if clean:
        ClientDomain.objects.filter(msp=msp, client=client, domain=clean[0]).update(is_primary=True)
    return clean


def client_set_tags(*, msp, client: Client, names: Iterable[str]) -> list[Tag]:
    tags = tags_get_or_create(msp=msp, names=names)
    ClientTag.objects.filter(msp=msp, client=client).exclude(tag__in=tags).delete()
    ClientTag.objects.bulk_create([ClientTag(msp=msp, client=client, tag=t) for t in tags], ignore_conflicts=True)
    return tags


def client_set_tech_groups(*, msp, client: Client, groups: Iterable) -> None:
    groups = list(groups)
    if any(g.msp_id != msp.pk for g in groups):
        raise ValidationError({"tech_groups": "Unknown tech group."})
    ClientTechGroup.objects.filter(msp=msp, client=client).exclude(group__in=groups).delete()
    ClientTechGroup.objects.bulk_create(
        [ClientTechGroup(msp=msp, client=client, group=g) for g in groups], ignore_conflicts=True
    )


def _check_account_manager(msp, fields: dict[str, Any]) -> None:
    manager = fields.get("account_manager")
    if manager is not None and manager.msp_id != msp.pk:
        raise ValidationError({"account_manager": "Choose a technician of your MSP."})


def _related_snapshot(client: Client) -> dict[str, Any]:
    return {
        "domains": sorted(client.domains.values_list("domain", flat=True)),
        "tags": sorted(client.tags.values_list("name", flat=True)),
        "tech_groups": sorted(client.tech_groups.values_list("name", flat=True)),
    }


@transaction.atomic
def client_create(
    *,
    msp,
    actor=None,
    domains: Iterable[str] = (),
    tags: Iterable[str] = (),
    tech_groups: Iterable = (),
    custom_fields: dict[str, Any] | None = None,
    **fields: Any,
) -> Client:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"client_create got unknown fields: {sorted(unknown)}")
    if fields.get("status") == Client.Status.ARCHIVED:
        raise ValidationError({"status": "A new client cannot start archived."})
    _check_account_manager(msp, fields)
    client = Client(msp=msp, **fields)
    client.custom_fields = custom_fields_clean(msp=msp, applies_to=CustomField.AppliesTo.CLIENT,
                                               values=custom_fields or {})
    client.full_clean(exclude=["msp"])
    domain_list = _clean_domains(msp=msp, client=None, domains=domains)
    client.save()
    client_set_domains(msp=msp, client=client, domains=domain_list)
    client_set_tags(msp=msp, client=client, names=tags)
    client_set_tech_groups(msp=msp, client=client, groups=tech_groups)
    audit_record(msp=msp, actor=actor, action="client.create", obj=client,
                 changes={**snapshot(client), **_related_snapshot(client)})
    return client


@transaction.atomic
def client_update(
    *,
    msp,
    client: Client,
    actor=None,
    domains: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    tech_groups: Iterable | None = None,
    custom_fields: dict[str, Any] | None = None,
    **fields: Any,
) -> Client:
    """Update the given fields only; None for a related set means "leave as is"."""
    if client.msp_id != msp.pk:
        raise ValidationError("Unknown client.")
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"client_update got unknown fields: {sorted(unknown)}")
    if "status" in fields and (fields["status"] == Client.Status.ARCHIVED) != client.is_archived:
        raise ValidationError({"status": "Use Archive / Restore to change whether a client is archived."})
    _check_account_manager(msp, fields)
    lock_for_update(client, message="This client no longer exists.")
    before = {**snapshot(client), **_related_snapshot(client)}
    # the stored name from the row: a model form has already put the new upload on `client`
    old_logo = (Client.objects.filter(msp=msp, pk=client.pk).values_list("logo", flat=True).first() or ""
                if "logo" in fields else "")
    for name, value in fields.items():
        setattr(client, name, value)
    if custom_fields is not None:
        client.custom_fields = custom_fields_clean(msp=msp, applies_to=CustomField.AppliesTo.CLIENT,
                                                   values=custom_fields)
    client.full_clean(exclude=["msp"])
    client.save(force_update=True)
    if old_logo and client.logo.name != old_logo:  # a replaced logo's file goes once the change is committed
        storage = client.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    if domains is not None:
        client_set_domains(msp=msp, client=client, domains=domains)
    if tags is not None:
        client_set_tags(msp=msp, client=client, names=tags)
    if tech_groups is not None:
        client_set_tech_groups(msp=msp, client=client, groups=tech_groups)
    changes = diff(before, {**snapshot(client), **_related_snapshot(client)})
    if changes:
        audit_record(msp=msp, actor=actor, action="client.update", obj=client, changes=changes)
    if "time_zone" in changes:
        calendar_changed(msp=msp, client=client)
    return client


def client_touch_activity(*, client: Client) -> None:
    """Bump `last_activity_at` (tickets, comments, syncs) with one UPDATE."""
    Client.objects.filter(msp_id=client.msp_id, pk=client.pk).update(last_activity_at=timezone.now())
