# ruff: noqa: S608 - table and column names come from model metadata; values are parameters
"""The database enforces tenancy (issue 12): every MSP-owned table is keyed by
(msp_id, id), every link between MSP-owned tables is a composite foreign key, and
PostgreSQL refuses a row of one MSP pointing at another MSP's row, whatever SQL
wrote it. Joins through those links also pair msp_id."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opsmerge import schema
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey, unscoped

pytestmark = pytest.mark.django_db


def _catalog():
    tables = [m._meta.db_table for m in schema.tenant_models()]
    with connection.cursor() as cursor:
        return schema._constraints(cursor, tables)


def test_every_msp_owned_table_is_keyed_by_msp_and_id():
    constraints = _catalog()
    for model in schema.tenant_models():
        primary = [cols for (table, _n), (kind, cols) in constraints.items()
                   if table == model._meta.db_table and kind == "p"]
        assert primary == [["msp_id", "id"]], model._meta.label


def test_the_schema_is_in_step_after_migrate():
    assert schema.plan() == []


def test_every_link_between_msp_owned_models_is_a_tenant_foreign_key():
    plain = [f"{model._meta.label}.{field.name}" for model in schema.tenant_models()
             for field in model._meta.concrete_fields
             if field.is_relation and field.related_model is not None
             and issubclass(field.related_model, MspOwnedModel) and not isinstance(field, TenantForeignKey)]
    assert not plain, f"use opsmerge.tenancy.TenantForeignKey for: {plain}"


def test_every_tenant_foreign_key_is_a_composite_constraint_in_the_database():
    constraints = _catalog()
    for spec in schema.tenant_foreign_keys():
        assert constraints.get((spec.table, spec.name)) == ("f", ["msp_id", spec.column]), spec  # not deferred


def _link_rows(world) -> None:
    """MSP-owned link rows the isolation world does not create, so every tenant
    foreign key below has a row of MSP A to point elsewhere."""
    from accounts.models import TechGroup, TechGroupMember
    from clients.models import (
        BusinessHours,
        ClientMerge,
        ClientMergeChange,
        ClientTag,
        ClientTechGroup,
        DuplicateDismissal,
        Holiday,
    )
    from contacts.models import ContactTag
    from integrations.imports.models import ImportChange, ImportRowError
    from integrations.psa.models import CompanyLink, Conflict, ContactLink, PsaSyncRun, TicketLink
    from portal.models import PortalLinkToken, PortalSession
    from tickets.models import SlaPolicy, SlaWarning, TicketSlaDue

    msp, o = world.msp, world.objects
    client, archived = o["client"], o["archived_client"]
    group = TechGroup.objects.get(msp=msp, pk=o["tech_group"].pk)
    later = timezone.now() + datetime.timedelta(hours=1)
    ClientTag.objects.create(msp=msp, client=client, tag=o["tag"])
    ClientTechGroup.objects.create(msp=msp, client=client, group=group)
    TechGroupMember.objects.get_or_create(msp=msp, group=group, user=world.user)
    BusinessHours.objects.create(msp=msp, client=client, site=o["site"], weekday=0,
                                 opens_at=datetime.time(9), closes_at=datetime.time(17))
    Holiday.objects.create(msp=msp, client=client, site=o["site"], date=datetime.date(2026, 12, 25), name="Xmas")
    merge = ClientMerge.objects.get(msp=msp, pk=o["client_merge"].pk)
    ClientMergeChange.objects.create(msp=msp, merge=merge, step=1, model="clients.client", row_id=client.pk)
    a, b = sorted([client, archived], key=lambda c: c.pk)
    DuplicateDismissal.objects.create(msp=msp, client_a=a, client_b=b)
    ContactTag.objects.create(msp=msp, contact=o["contact"], tag=o["tag"])
    PortalLinkToken.objects.create(msp=msp, contact=o["contact"], token_hash="a" * 64, expires_at=later)
    PortalSession.objects.create(msp=msp, contact=o["contact"], key_hash="b" * 64, expires_at=later)
    ImportRowError.objects.get_or_create(msp=msp, job=o["import_job"], row_number=2)
    ImportChange.objects.create(msp=msp, job=o["import_job"], step=1, model="contacts.contact",
                                op=ImportChange.Op.CREATED, row_id=o["contact"].pk)
    TicketSlaDue.objects.get_or_create(msp=msp, ticket=o["ticket"])
    SlaPolicy.objects.get_or_create(msp=msp, client=client)
    SlaWarning.objects.create(msp=msp, ticket=o["ticket"], clock=SlaWarning.Clock.RESOLUTION,
                              threshold=SlaWarning.Threshold.SOON, due_at=later)
    connection = o["psa_connection"]
    company = CompanyLink.objects.filter(msp=msp, connection=connection, client=client).get()
    contact_link = ContactLink.objects.get(msp=msp, connection=connection, company=company)
    ContactLink.objects.filter(msp=msp, pk=contact_link.pk).update(contact=o["contact"])
    TicketLink.objects.create(msp=msp, connection=connection, ticket=o["ticket"], external_id="301")
    Conflict.objects.create(msp=msp, connection=connection, entity="contact", contact=contact_link, field="phone")
    PsaSyncRun.objects.create(msp=msp, connection=connection, trigger=PsaSyncRun.Trigger.MANUAL)
    # self- and optional links: an organisation contact, a merged contact and client, an
    # asset of a site and contact, a ticket about an asset, an attachment of a comment
    o["contact"].__class__.objects.filter(msp=msp, pk=o["deleted_contact"].pk).update(
        organisation=o["contact"], merged_into=o["contact"])


def test_the_database_refuses_every_cross_msp_link(two_msps):
    """For each tenant foreign key: take a row of MSP A and point it, by raw SQL, at a
    row of the same target table owned by MSP B. Each UPDATE must fail."""
    alpha, bravo = two_msps
    with unscoped("test: cross-MSP links"):
        _link_rows(alpha)
    q = connection.ops.quote_name
    refused, untested = [], []
    for spec in schema.tenant_foreign_keys():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {q(spec.table)} WHERE msp_id = %s ORDER BY id LIMIT 1", [alpha.msp.pk])
            source = cursor.fetchone()
            cursor.execute(f"SELECT id FROM {q(spec.target)} WHERE msp_id = %s ORDER BY id LIMIT 1", [bravo.msp.pk])
            target = cursor.fetchone()
        if source is None or target is None:
            untested.append(spec)
            continue
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {q(spec.table)} SET {q(spec.column)} = %s WHERE msp_id = %s AND id = %s",
                           [target[0], alpha.msp.pk, source[0]])
        refused.append(spec)
    assert not untested, ("no rows to try these links with: add them to _link_rows or the isolation world: "
                          + ", ".join(f"{s.table}.{s.column}" for s in untested))
    assert len(refused) == len(schema.tenant_foreign_keys()) >= 45


def test_the_same_link_within_one_msp_is_accepted(two_msps):
    alpha, _bravo = two_msps
    contact, client = alpha.objects["contact"], alpha.objects["archived_client"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("UPDATE contacts_contact SET client_id = %s WHERE msp_id = %s AND id = %s",
                       [client.pk, alpha.msp.pk, contact.pk])


def test_joins_through_tenant_foreign_keys_pair_msp_id(two_msps):
    from contacts.models import Contact

    alpha, _bravo = two_msps
    with unscoped("test: join SQL"):
        forward = str(Contact.objects.filter(client__name="x").query)
        reverse = str(type(alpha.objects["client"]).objects.filter(contacts__email="x").query)
        related = str(Contact.objects.select_related("client").query)
    pair = '("clients_client"."msp_id" = ("contacts_contact"."msp_id"))'
    assert f'ON ("contacts_contact"."client_id" = "clients_client"."id" AND {pair})' in forward
    assert f'ON ("clients_client"."id" = "contacts_contact"."client_id" AND {pair})' in reverse
    assert pair in related
