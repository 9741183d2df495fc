"""Two clients with one of everything (and the conflicts a merge must decide), plus
a full dump of every project table, for merge / undo / concurrency tests."""

from __future__ import annotations

import datetime
import uuid

from accounts.tests.factories import TechGroupFactory
from assets.tests.factories import AssetFactory
from billing.tests.factories import ContractFactory, InvoiceFactory
from clients.models import BusinessHours, ClientDocument, ClientTag, ClientTechGroup, Holiday
from clients.tests.factories import ClientDomainFactory, ClientFactory, TagFactory
from contacts.models import ContactTag
from contacts.tests.factories import ContactFactory
from integrations.m365.models import M365Tenant
from opsmerge.models import AuditEvent
from opsmerge.tenancy import unscoped
from sites.tests.factories import SiteFactory
from tickets.tests.factories import TicketCommentFactory, TicketFactory

NOT_DUMPED = {"clients.clientmerge", "clients.clientmergechange"}


def build_pair(msp, *, target_name="Acme Ltd", source_name="ACME-Limited"):
    """(target, source) with overlapping tags, a duplicate contact email, two HQs,
    a clashing site name, business hours on both, and rows of every kind."""
    target = ClientFactory(msp=msp, name=target_name, industry="", website="https://acme.example",
                           custom_fields={"tier": "gold", "seats": ""}, external_ids={"cw": "1"})
    source = ClientFactory(msp=msp, name=source_name, industry="Legal", website="https://acme-old.example",
                           custom_fields={"seats": "40", "region": "north"}, external_ids={"halo": "9"})
    with unscoped("test world"):
        for client, domain in ((target, "acme.example"), (source, "acme-old.example")):
            ClientDomainFactory(msp=msp, client=client, domain=domain, is_primary=True)
        ClientDomainFactory(msp=msp, client=source, domain="mail.acme.example", is_primary=False)
        shared_tag, own_tag = TagFactory(msp=msp, name="tier:gold"), TagFactory(msp=msp, name="legacy")
        ClientTag.objects.create(msp=msp, client=target, tag=shared_tag)
        ClientTag.objects.create(msp=msp, client=source, tag=shared_tag)
        ClientTag.objects.create(msp=msp, client=source, tag=own_tag)
        group = TechGroupFactory(msp=msp)
        ClientTechGroup.objects.create(msp=msp, client=target, group=group)
        ClientTechGroup.objects.create(msp=msp, client=source, group=group)
        t_hq = SiteFactory(msp=msp, client=target, name="London", is_hq=True)
        s_hq = SiteFactory(msp=msp, client=source, name="london", is_hq=True)
        s_other = SiteFactory(msp=msp, client=source, name="Leeds")
        for client, site in ((target, None), (source, None), (source, s_other)):
            BusinessHours.objects.create(msp=msp, client=client, site=site, weekday=0,
                                         opens_at=datetime.time(9), closes_at=datetime.time(17))
        Holiday.objects.create(msp=msp, client=target, date=datetime.date(2026, 12, 25), name="Christmas")
        Holiday.objects.create(msp=msp, client=source, date=datetime.date(2026, 12, 25), name="Xmas")
        Holiday.objects.create(msp=msp, client=source, date=datetime.date(2026, 12, 26), name="Boxing day")
        t_pat = ContactFactory(msp=msp, client=target, first_name="Pat", email="pat@acme.example", is_primary=True)
        s_pat = ContactFactory(msp=msp, client=source, first_name="Patricia", email="PAT@acme.example",
                               is_primary=True, is_portal_user=True, is_vip=True)
        s_sam = ContactFactory(msp=msp, client=source, first_name="Sam", email="sam@acme-old.example")
        ContactFactory(msp=msp, client=source, first_name="Gone", email="gone@acme-old.example",
                       deleted_at="2026-01-01T00:00:00Z")
        ContactTag.objects.create(msp=msp, contact=t_pat, tag=shared_tag)
        ContactTag.objects.create(msp=msp, contact=s_pat, tag=shared_tag)
        ContactTag.objects.create(msp=msp, contact=s_pat, tag=own_tag)
        for client, contact, site in ((target, t_pat, t_hq), (source, s_pat, s_hq), (source, s_sam, s_other)):
            ticket = TicketFactory(msp=msp, client=client, contact=contact, site=site)
            TicketCommentFactory(msp=msp, ticket=ticket, author_contact=contact)
            AssetFactory(msp=msp, client=client, contact=contact, site=site)
            ContractFactory(msp=msp, client=client)
            InvoiceFactory(msp=msp, client=client)
            ClientDocument.objects.create(msp=msp, client=client, name="Runbook.pdf", file="x/runbook.pdf",
                                          content_type="application/pdf", size=10)
            AuditEvent.objects.create(msp=msp, action="client.update", object_type="client",
                                      object_id=str(client.pk), client=client, client_name=client.name)
        M365Tenant.objects.create(msp=msp, client=source, tenant_id=uuid.uuid4(), display_name="Old tenant")
    return target, source


def project_models():
    from opsmerge.tests.test_tenancy import project_models as models

    return [m for m in models() if m._meta.label_lower not in NOT_DUMPED]


def dump() -> dict[str, list[dict]]:
    """Every row of every project table (minus the merge log), ordered by id."""
    with unscoped("test dump"):
        return {
            m._meta.label_lower: list(m._base_manager.order_by("pk").values())
            for m in project_models()
        }


def counts() -> dict[str, int]:
    with unscoped("test counts"):
        return {m._meta.label_lower: m._base_manager.count() for m in project_models()}


def without_new_audit(data: dict, before: dict) -> dict:
    """Audit events are added by every write; compare only the ones that existed."""
    known = {row["id"] for row in before["opsmerge.auditevent"]}
    out = dict(data)
    out["opsmerge.auditevent"] = [r for r in data["opsmerge.auditevent"] if r["id"] in known]
    return out
