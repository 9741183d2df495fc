"""Writes of the PSA integration: connect (credentials proven by a cheap call),
disconnect, settings and field ownership, the match review (confirm, link by hand,
import as a new client, push a client to the PSA, ignore), conflict resolution,
queue a sync, archive/restore reactions, each MSP's beat schedule. Audited."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.models import Client, ClientDomain
from clients.services import client_assert_open
from contacts.models import Contact
from opsmerge.audit import audit_record

from .connectors import PsaError, connector_class
from .mapping import CLIENT_COLUMNS, CONTACT_COLUMNS, client_columns, company_norm, contact_columns
from .models import (
    COMPANY_SYNC_FIELDS,
    CONTACT_SYNC_FIELDS,
    OWNER_CHOICES,
    CompanyLink,
    Conflict,
    ContactLink,
    PsaConnection,
    PsaSyncRun,
)
from .sync import connector_for, push_company

OWNERS = {key for key, _ in OWNER_CHOICES}


def _split_credentials(kind: str, values: dict) -> tuple[dict, dict]:
    cls = connector_class(kind)
    plain, secret, errors = {}, {}, {}
    for field in cls.credential_fields:
        value = str(values.get(field.name) or "").strip()
        if not value and field.required:
            errors[field.name] = "This field is required."
        (secret if field.secret else plain)[field.name] = value
    if errors:
        raise ValidationError(errors)
    return plain, secret


def connection_connect(*, msp, kind: str, base_url: str, credentials: dict, actor=None,
                       connection: PsaConnection | None = None) -> PsaConnection:
    """Prove the credentials with the product's cheap authenticated call, then store
    them (secrets encrypted). A blank secret on an existing connection keeps the stored
    one. Raises ValidationError with the PSA's refusal in words."""
    cls = connector_class(kind)
    existing = connection or PsaConnection.objects.filter(msp=msp, kind=kind).first()
    if existing is not None:
        stored = json.loads(existing.secrets or "{}")
        credentials = {**credentials, **{f.name: stored.get(f.name, "") for f in cls.credential_fields
                                         if f.secret and not str(credentials.get(f.name) or "").strip()}}
    plain, secret = _split_credentials(kind, credentials)
    base_url = (base_url or "").strip().rstrip("/")
    if not base_url.startswith("https://"):
        raise ValidationError({"base_url": "The API URL must start with https://."})
    try:
        cls(base_url=base_url, credentials={**plain, **secret}).check()
    except PsaError as exc:
        field = "base_url" if exc.kind in ("not_found", "transient", "unexpected") else "__all__"
        raise ValidationError({field: f"{cls.label} refused: {exc.describe()}"}) from None
    with transaction.atomic():
        conn = existing or PsaConnection(msp=msp, kind=kind)
        conn.base_url, conn.credentials, conn.secrets = base_url, plain, json.dumps(secret)
        conn.status, conn.status_message = PsaConnection.Status.OK, ""
        conn.connected_by = actor if getattr(actor, "pk", None) else conn.connected_by
        conn.save()
        audit_record(msp=msp, actor=actor, action="psa.connect", obj=conn, object_repr=conn.label,
                     changes={"kind": kind, "base_url": base_url, "credentials": sorted(plain)})
    schedule_ensure(msp=msp)
    return conn


def connection_settings(*, msp, connection: PsaConnection, actor=None, **values) -> PsaConnection:
    allowed = {"enabled", "import_new", "push_new_contacts", "sync_tickets", "interval_minutes", "page_size"}
    unknown = set(values) - allowed - {"ownership"}
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}")
    ownership = values.pop("ownership", None)
    if ownership is not None:
        clean = {"company": {}, "contact": {}}
        for entity, fields in (("company", COMPANY_SYNC_FIELDS), ("contact", CONTACT_SYNC_FIELDS)):
            for field in fields:
                owner = (ownership.get(entity) or {}).get(field) or connection.owner(entity, field)
                if owner not in OWNERS:
                    raise ValidationError({f"{entity}_{field}": "Choose PSA, OpsMerge or Both."})
                clean[entity][field] = owner
        connection.ownership = clean
    for key, value in values.items():
        setattr(connection, key, value)
    connection.save()
    audit_record(msp=msp, actor=actor, action="psa.settings", obj=connection, object_repr=connection.label,
                 changes={k: str(v) for k, v in values.items()})
    schedule_ensure(msp=msp)
    return connection


def connection_disconnect(*, msp, connection: PsaConnection, actor=None) -> None:
    """Forget the connection and its links (clients, contacts and tickets stay)."""
    with transaction.atomic():
        audit_record(msp=msp, actor=actor, action="psa.disconnect", obj=connection, object_repr=connection.label)
        Client.objects.filter(msp=msp, psa_links__connection=connection).update(psa_id="")
        connection.delete()
    schedule_ensure(msp=msp)


# -- match review -----------------------------------------------------------------------------------

def _link(msp, link_id, connection) -> CompanyLink:
    link = CompanyLink.objects.select_for_update().filter(msp=msp, connection=connection, pk=link_id).first()
    if link is None:
        raise ValidationError("This PSA company is no longer in the review.")
    return link


def _claim(msp, link: CompanyLink, client: Client, reason: str, actor) -> CompanyLink:
    client_assert_open(client)
    other = CompanyLink.objects.filter(msp=msp, connection=link.connection, client=client).exclude(pk=link.pk).first()
    if other is not None:
        raise ValidationError({"client": f"{client} is already linked to {other.name} ({other.external_id})."})
    link.client, link.state, link.match_reason, link.suggested_client = client, CompanyLink.State.LINKED, reason, None
    link.base, link.synced_at = {}, None  # first sync compares every field (conflicts, not overwrites)
    link.save()
    Client.objects.filter(msp=msp, pk=client.pk).update(psa_id=link.external_id)
    audit_record(msp=msp, actor=actor, action="client.psa_link", obj=client,
                 changes={"psa": [None, f"{link.connection.label} {link.external_id}"]})
    return link


def review_confirm(*, msp, connection, link_ids, actor=None) -> int:
    """Confirm suggested matches (one or many)."""
    done = 0
    with transaction.atomic():
        for link in CompanyLink.objects.select_for_update().filter(
                msp=msp, connection=connection, pk__in=list(link_ids), state=CompanyLink.State.SUGGESTED,
                suggested_client__isnull=False).select_related("suggested_client", "connection"):
            if link.suggested_client.is_archived or CompanyLink.objects.filter(
                    msp=msp, connection=connection, client=link.suggested_client).exists():
                continue
            _claim(msp, link, link.suggested_client, link.match_reason or "suggested", actor)
            done += 1
    return done


def review_link(*, msp, connection, link_id, client: Client, actor=None) -> CompanyLink:
    with transaction.atomic():
        link = _link(msp, link_id, connection)
        return _claim(msp, link, client, "manual", actor)


def review_ignore(*, msp, connection, link_id, actor=None) -> CompanyLink:
    with transaction.atomic():
        link = _link(msp, link_id, connection)
        if link.client_id:
            Client.objects.filter(msp=msp, pk=link.client_id).update(psa_id="")
        link.client, link.state, link.suggested_client = None, CompanyLink.State.IGNORED, None
        link.save()
    return link


def review_import(*, msp, connection, link_ids, actor=None) -> int:
    """Unmatched PSA companies become new clients (with the PSA's fields and domain)."""
    count = 0
    with transaction.atomic():
        for link in CompanyLink.objects.select_for_update().filter(
                msp=msp, connection=connection, pk__in=list(link_ids), client__isnull=True,
                state__in=[CompanyLink.State.UNMATCHED, CompanyLink.State.SUGGESTED, CompanyLink.State.IGNORED]):
            remote = link.remote or {}
            columns = client_columns(company_norm(remote))
            client = Client.objects.create(msp=msp, psa_id=link.external_id,
                                           external_ids={connection.kind: link.external_id},
                                           **{**columns, "name": columns.get("name") or link.name or link.external_id})
            if link.domain and "." in link.domain and not ClientDomain.objects.filter(msp=msp,
                                                                                    domain=link.domain).exists():
                ClientDomain.objects.create(msp=msp, client=client, domain=link.domain, is_primary=True)
            link.client, link.state, link.match_reason, link.suggested_client = client, "linked", "import", None
            link.base, link.synced_at = company_norm(remote), timezone.now()
            link.save()
            audit_record(msp=msp, actor=actor, action="client.psa_import", obj=client,
                         changes={"psa": [None, f"{connection.label} {link.external_id}"]})
            count += 1
    return count


def review_push(*, msp, connection, client: Client, actor=None) -> CompanyLink:
    """Create an OpsMerge client in the PSA. The link row (state pushing, its
    idempotency marker) is committed first; the create runs after, and a retry after a
    crash finds the company by the marker instead of creating it twice."""
    client_assert_open(client)
    try:
        with transaction.atomic():
            link, _ = CompanyLink.objects.get_or_create(
                msp=msp, connection=connection, client=client,
                defaults={"state": CompanyLink.State.PUSHING, "name": client.name[:255], "match_reason": "push"})
    except IntegrityError:
        raise ValidationError({"client": "This client is already linked."}) from None
    if link.state != CompanyLink.State.PUSHING:
        raise ValidationError({"client": f"{client} is already linked to {link.name} ({link.external_id})."})
    try:
        push_company(msp=msp, link=link, connector=connector_for(connection))
    except PsaError as exc:
        if exc.kind == "validation":
            CompanyLink.objects.filter(msp=msp, pk=link.pk).delete()
        raise ValidationError({"client": f"{connection.label} refused {client}: {exc.describe()}"}) from None
    audit_record(msp=msp, actor=actor, action="client.psa_push", obj=client)
    link.refresh_from_db()
    return link


def review_finish(*, msp, connection, actor=None) -> PsaSyncRun:
    """End the first review: from now on the schedule syncs both ways."""
    PsaConnection.objects.filter(msp=msp, pk=connection.pk).update(stage=PsaConnection.Stage.SYNCING)
    connection.stage = PsaConnection.Stage.SYNCING
    audit_record(msp=msp, actor=actor, action="psa.review_finish", obj=connection, object_repr=connection.label)
    return sync_enqueue(msp=msp, connection=connection, actor=actor)


# -- conflicts --------------------------------------------------------------------------------------------

def conflict_resolve(*, msp, conflict: Conflict, choice: str, actor=None) -> Conflict:
    """Keep OpsMerge's value ("ours") or take the PSA's ("theirs"); the chosen value
    becomes both sides' value: written here now, pushed to the PSA by the next sync
    (the base keeps the other value, so the sync sees our side changed)."""
    if choice not in ("ours", "theirs"):
        raise ValidationError({"choice": "Choose ours or theirs."})
    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().get(msp=msp, pk=conflict.pk)
        if conflict.state != Conflict.State.OPEN:
            return conflict
        value = conflict.ours if choice == "ours" else conflict.theirs
        # "theirs": written here, and the base takes it (both sides now agree).
        # "ours": the base takes the PSA's value, so the next sync sees only our side
        # changed and pushes it.
        base_value = value if choice == "theirs" else conflict.theirs
        if conflict.entity == "company":
            link = CompanyLink.objects.select_for_update().get(msp=msp, pk=conflict.company_id)
            target = Client.objects.get(msp=msp, pk=link.client_id)
            column = CLIENT_COLUMNS[conflict.field]
            columns = client_columns({conflict.field: value}, country=target.country)
        else:
            link = ContactLink.objects.select_for_update().get(msp=msp, pk=conflict.contact_id)
            target = Contact.objects.get(msp=msp, pk=link.contact_id)
            column = CONTACT_COLUMNS[conflict.field]
            columns = contact_columns({conflict.field: value})
        if choice == "theirs":
            setattr(target, column, columns[column])
            target.save(update_fields=[column, "updated_at"])
        link.base = {**(link.base or {}), conflict.field: base_value}
        link.save(update_fields=["base"])
        # "ours": base = the PSA's value, so the next sync sees only our side changed and pushes it.
        # Make sure that sync looks at the record even if nothing else changes.
        type(link).objects.filter(msp=msp, pk=link.pk).update(synced_at=None)
        conflict.state, conflict.resolution = Conflict.State.RESOLVED, choice
        conflict.resolved_by = actor if getattr(actor, "pk", None) else None
        conflict.resolved_at = timezone.now()
        conflict.save()
        audit_record(msp=msp, actor=actor, action="psa.conflict_resolve", obj=target,
                     changes={conflict.field: [conflict.ours, conflict.theirs], "kept": choice})
    return conflict


# -- runs & schedule ----------------------------------------------------------------------------------------

def sync_active_run(*, msp, connection) -> PsaSyncRun | None:
    return PsaSyncRun.objects.filter(msp=msp, connection=connection,
                                     status__in=[PsaSyncRun.Status.QUEUED, PsaSyncRun.Status.RUNNING]).first()


def sync_enqueue(*, msp, connection: PsaConnection, trigger: str = PsaSyncRun.Trigger.MANUAL, full: bool = False,
                 actor=None) -> PsaSyncRun:
    from .tasks import psa_sync_connection

    active = sync_active_run(msp=msp, connection=connection)
    if active is not None:
        return active
    run = PsaSyncRun.objects.create(msp=msp, connection=connection, trigger=trigger, full=full,
                                    triggered_by=actor if getattr(actor, "pk", None) else None)
    transaction.on_commit(lambda: psa_sync_connection.delay(msp.pk, connection.pk, run_pk=run.pk, full=full))
    return run


def connections_due(*, msp) -> list[PsaConnection]:
    return list(PsaConnection.objects.filter(msp=msp, enabled=True).exclude(status=PsaConnection.Status.FAILED))


def schedule_ensure(*, msp) -> None:
    """One django-celery-beat PeriodicTask per MSP (the shortest interval of its enabled
    connections); none when the MSP has no connection."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    name = f"psa-sync-msp-{msp.pk}"
    intervals = [c.interval_minutes for c in PsaConnection.objects.filter(msp=msp, enabled=True)]
    if not intervals:
        PeriodicTask.objects.filter(name=name).delete()
        return
    every = max(5, min(intervals) or settings.PSA_SYNC_INTERVAL_MINUTES)
    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.update_or_create(
        name=name, defaults={"task": "integrations.psa.tasks.psa_sync_msp", "interval": interval,
                             "args": json.dumps([msp.pk]), "enabled": True})


# -- archive / restore (seed 003) -------------------------------------------------------------------------

def client_archive_changed(*, msp, client: Client, archived: bool) -> list[int]:
    """Archiving stops the client's sync (the engine skips archived clients) and marks
    the PSA company inactive where the product can; restore reactivates it. Returns the
    links whose PSA company is to be (de)activated (queued as tasks)."""
    from .tasks import psa_company_active

    ids = list(CompanyLink.objects.filter(msp=msp, client=client, state=CompanyLink.State.LINKED)
               .exclude(external_id="").values_list("pk", flat=True))
    for pk in ids:
        transaction.on_commit(lambda pk=pk: psa_company_active.delay(msp.pk, pk, not archived))
    return ids


def company_set_active(*, msp, link: CompanyLink, active: bool) -> bool:
    connector = connector_for(link.connection)
    if not connector.supports_inactive:
        return False
    connector.set_company_active(link.external_id, active)
    CompanyLink.objects.filter(msp=msp, pk=link.pk).update(active=active)
    audit_record(msp=msp, action="client.psa_active", obj=link.client, actor_label=f"{link.connection.label} sync",
                 changes={"psa_active": [not active, active]})
    return True


# -- tickets -----------------------------------------------------------------------------------------------

def ticket_created(*, ticket) -> None:
    """Queue the PSA create of a new ticket whose client is linked (after commit)."""
    from .tasks import psa_push_ticket

    links = list(CompanyLink.objects.filter(msp_id=ticket.msp_id, client_id=ticket.client_id,
                                            state=CompanyLink.State.LINKED, connection__sync_tickets=True,
                                            connection__stage=PsaConnection.Stage.SYNCING)
                 .exclude(external_id="").values_list("connection_id", flat=True))
    for connection_id in links:
        transaction.on_commit(lambda cid=connection_id: psa_push_ticket.delay(ticket.msp_id, cid, ticket.pk))


def ticket_push(*, msp, connection: PsaConnection, ticket, connector=None):
    """Create `ticket` in the PSA once: the TicketLink (with its marker) is committed
    before the remote create; a retry finds the create by marker."""
    from .models import TicketLink
    from .sync import push_ticket

    company = CompanyLink.objects.filter(msp=msp, connection=connection, client_id=ticket.client_id,
                                         state=CompanyLink.State.LINKED).exclude(external_id="").first()
    if company is None or company.client.is_archived:
        return None
    with transaction.atomic():
        link, _ = TicketLink.objects.get_or_create(msp=msp, connection=connection, ticket=ticket)
    if link.external_id:
        return link
    push_ticket(msp=msp, link=link, connector=connector or connector_for(connection),
                company_external_id=company.external_id)
    link.refresh_from_db()
    return link
