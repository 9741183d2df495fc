"""The connector framework against every emulated product (ConnectWise here; Autotask
and HaloPSA join the parametrisation when their modules are registered): connect →
match review → sync both ways → conflict shown → archived client stops syncing,
tickets, and the kill-and-re-run idempotency of every create."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.psa.connectors import CONNECTORS, load_all
from integrations.psa.emulator.common import load_products
from integrations.psa.models import CompanyLink, Conflict, ContactLink, PsaConnection, PsaSyncRun, TicketLink
from integrations.psa.services import (
    company_set_active,
    conflict_resolve,
    connection_connect,
    review_confirm,
    review_finish,
    review_import,
    review_push,
    ticket_push,
)
from integrations.psa.sync import connection_sync, connector_for
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
KINDS = sorted(set(load_all()) & set(load_products()))


@pytest.fixture(params=KINDS)
def psa(request, psa_emulator):
    emulated = psa_emulator[request.param]
    emulated.product.seed(companies=6, contacts_per_company=2, seed=7)
    return emulated


def _connect(msp, psa, user=None):
    return connection_connect(msp=msp, kind=psa.kind, base_url=psa.base_url, credentials=psa.credentials, actor=user)


def _sync(msp, conn, **kw):
    conn.refresh_from_db()
    run = connection_sync(msp=msp, connection=conn, **kw)
    assert run.status == PsaSyncRun.Status.SUCCEEDED, (run.error_code, run.error_message)
    return run


@pytest.fixture
def world(msp, psa, scoped):
    """Clients that match PSA companies by id, by domain and by name; one PSA-less client."""
    product = psa.product
    ids = product.ids("companies")
    by_domain = ClientFactory(msp=msp, name="Something Else Entirely")
    domain = product.company_fields(ids[0])["website"].split("//")[-1].removeprefix("www.")
    ClientDomainFactory(msp=msp, client=by_domain, domain=domain)
    by_name = ClientFactory(msp=msp, name="The " + product.company_fields(ids[1])["name"].rsplit(" ", 1)[0] + " Limited")
    by_id = ClientFactory(msp=msp, name="Renamed Here", psa_id=ids[2])
    local = ClientFactory(msp=msp, name="Local Only Co", phone_number="5550001111", city="Leeds")
    return {"ids": ids, "by_domain": by_domain, "by_name": by_name, "by_id": by_id, "local": local}


@pytest.fixture
def syncing(msp, psa, world, user):
    """Connected, reviewed (suggestions confirmed, the rest imported) and synced."""
    conn = _connect(msp, psa, user)
    _sync(msp, conn)
    review_confirm(msp=msp, connection=conn, link_ids=CompanyLink.objects.filter(msp=msp, state="suggested")
                   .values_list("pk", flat=True), actor=user)
    review_import(msp=msp, connection=conn, link_ids=CompanyLink.objects.filter(msp=msp, state="unmatched")
                  .values_list("pk", flat=True), actor=user)
    review_finish(msp=msp, connection=conn, actor=user)
    PsaSyncRun.objects.filter(msp=msp).update(status=PsaSyncRun.Status.SUCCEEDED)  # the queued run: run it here
    _sync(msp, conn)
    conn.refresh_from_db()
    return conn


def _link(msp, client):
    return CompanyLink.objects.get(msp=msp, client=client)


def test_bad_credentials_are_refused_in_words(msp, psa, scoped):
    secret = next(f.name for f in CONNECTORS[psa.kind].credential_fields if f.secret)
    with pytest.raises(ValidationError) as info:
        connection_connect(msp=msp, kind=psa.kind, base_url=psa.base_url,
                           credentials={**psa.credentials, secret: "wrong"})
    assert "refused" in str(info.value)
    assert not PsaConnection.objects.filter(msp=msp).exists()


def test_first_connect_stages_companies_for_review_with_matches(msp, psa, world, user):
    from django_celery_beat.models import PeriodicTask

    conn = _connect(msp, psa, user)
    assert conn.status == PsaConnection.Status.OK and conn.stage == PsaConnection.Stage.REVIEW
    assert PeriodicTask.objects.get(name=f"psa-sync-msp-{msp.pk}").task == "integrations.psa.tasks.psa_sync_msp"
    run = _sync(msp, conn)
    links = {lk.external_id: lk for lk in CompanyLink.objects.filter(msp=msp)}
    assert len(links) == 6
    ids = world["ids"]
    assert (links[ids[0]].state, links[ids[0]].match_reason, links[ids[0]].suggested_client) == (
        "suggested", "domain", world["by_domain"])
    assert (links[ids[1]].state, links[ids[1]].match_reason, links[ids[1]].suggested_client) == (
        "suggested", "name", world["by_name"])
    assert (links[ids[2]].state, links[ids[2]].client) == ("linked", world["by_id"])
    assert {links[i].state for i in ids[3:]} == {"unmatched"}
    # Nothing is written to clients before the review is finished.
    assert Client.objects.filter(msp=msp).count() == 4
    assert not Contact.objects.filter(msp=msp).exists()
    assert run.requests >= 1


def test_review_links_imports_pushes_then_syncs_contacts(msp, psa, world, syncing, user):
    product = psa.product
    assert CompanyLink.objects.filter(msp=msp, state="linked").count() == 6
    assert Client.objects.filter(msp=msp).count() == 4 + 3
    # Every PSA contact of a linked company is a contact of its client, once.
    assert Contact.objects.filter(msp=msp).count() == 12
    assert ContactLink.objects.filter(msp=msp).count() == 12
    link = _link(msp, world["by_domain"])
    assert set(Contact.objects.filter(msp=msp, client=world["by_domain"]).values_list("email", flat=True)) == {
        product.contact_fields(c.external_id)["email"] for c in ContactLink.objects.filter(msp=msp, company=link)}
    # Push an OpsMerge-only client to the PSA.
    before = len(product.ids("companies"))
    pushed = review_push(msp=msp, connection=syncing, client=world["local"], actor=user)
    assert pushed.state == "linked" and pushed.external_id
    assert len(product.ids("companies")) == before + 1
    assert product.company_fields(pushed.external_id)["name"] == "Local Only Co"
    world["local"].refresh_from_db()
    assert world["local"].psa_id == pushed.external_id


def test_changes_flow_both_ways_without_echo(msp, psa, world, syncing):
    product = psa.product
    client = world["by_id"]
    link = _link(msp, client)
    product.advance_clock(5)
    product.edit_company(link.external_id, city="Portland")  # PSA-owned field
    run = _sync(msp, syncing)
    client.refresh_from_db()
    assert client.city == "Portland"
    assert run.counts["companies"]["updated_here"] == 1
    # OpsMerge side: a field owned by both sides goes to the PSA.
    Client.objects.filter(pk=client.pk).update(phone_number="4155550123")
    client.save(update_fields=["updated_at"])
    run = _sync(msp, syncing)
    assert "".join(ch for ch in product.company_fields(link.external_id)["phone"] if ch.isdigit()) == "4155550123"
    assert run.counts["companies"]["updated_there"] == 1
    # Our write comes back as a PSA change: no echo either way.
    run = _sync(msp, syncing)
    assert not run.counts.get("companies", {}).get("updated_here")
    assert not run.counts.get("companies", {}).get("updated_there")
    # A contact edited in the PSA.
    contact_link = ContactLink.objects.filter(msp=msp, company=link).first()
    product.advance_clock(5)
    product.edit_contact(contact_link.external_id, title="Head of IT")
    _sync(msp, syncing)
    assert Contact.objects.get(pk=contact_link.contact_id).job_title == "Head of IT"


def test_both_sides_changed_is_a_conflict_never_an_overwrite(msp, psa, world, syncing, user):
    product = psa.product
    client = world["by_id"]
    link = _link(msp, client)
    product.advance_clock(5)
    product.edit_company(link.external_id, phone="212-555-0199")
    client.phone_number = "3125550100"
    client.save()
    _sync(msp, syncing)
    conflict = Conflict.objects.get(msp=msp, state="open")
    assert (conflict.field, conflict.ours, conflict.theirs) == ("phone", "3125550100", "2125550199")
    client.refresh_from_db()
    assert client.phone_number == "3125550100"
    assert "".join(c for c in product.company_fields(link.external_id)["phone"] if c.isdigit()) == "2125550199"
    _sync(msp, syncing)  # still open, still nothing overwritten
    assert Conflict.objects.filter(msp=msp, state="open").count() == 1
    conflict_resolve(msp=msp, conflict=conflict, choice="ours", actor=user)
    _sync(msp, syncing)
    assert "".join(c for c in product.company_fields(link.external_id)["phone"] if c.isdigit()) == "3125550100"
    assert not Conflict.objects.filter(msp=msp, state="open").exists()


def test_archived_client_stops_syncing_and_goes_inactive(msp, psa, world, syncing, user):
    from clients.lifecycle import client_archive, client_restore

    product = psa.product
    client = world["by_id"]
    link = _link(msp, client)
    client_archive(msp=msp, client=client, actor=user)
    company_set_active(msp=msp, link=link, active=False)  # the task the archive queued
    if CONNECTORS[psa.kind].supports_inactive:
        assert product.company_fields(link.external_id)["active"] is False
    product.advance_clock(5)
    product.edit_company(link.external_id, city="Nowhere")
    _sync(msp, syncing)
    client.refresh_from_db()
    assert client.city != "Nowhere"
    client_restore(msp=msp, client=client, actor=user)
    company_set_active(msp=msp, link=link, active=True)
    assert product.company_fields(link.external_id)["active"] is True
    _sync(msp, syncing)
    client.refresh_from_db()
    assert client.city == "Nowhere"


def test_ticket_created_in_psa_and_status_syncs_back(msp, psa, world, syncing):
    product = psa.product
    ticket = TicketFactory(msp=msp, client=world["by_id"], subject="Printer on fire", status=Ticket.Status.NEW)
    link = ticket_push(msp=msp, connection=syncing, ticket=ticket)
    assert link.external_id in product.ids("tickets")
    assert ticket_push(msp=msp, connection=syncing, ticket=ticket).external_id == link.external_id
    assert len(product.ids("tickets")) == 1
    product.set_ticket_status(link.external_id, "resolved")
    run = _sync(msp, syncing)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert run.counts["tickets"]["status_updated"] == 1


def test_killed_worker_rerun_duplicates_nothing(msp, psa, world, syncing):
    """Creates that reached the PSA before the worker died are found again (marker /
    email), never repeated; a sync that died mid-listing converges on re-run."""
    product = psa.product
    connector = connector_for(syncing)
    # A company push that died after the PSA's create.
    extra = ClientFactory(msp=msp, name="Crash Test Dummies")
    link = CompanyLink.objects.create(msp=msp, connection=syncing, client=extra, state="pushing", name=extra.name)
    connector.create_company({"name": extra.name, "marker": link.marker})
    companies = len(product.ids("companies"))
    # A contact push and a ticket push that died the same way.
    contact = ContactFactory(msp=msp, client=world["by_id"], email="late.joiner@example.com", first_name="Late")
    company = _link(msp, world["by_id"])
    cl = ContactLink.objects.create(msp=msp, connection=syncing, company=company, contact=contact, state="pushing")
    connector.create_contact(company.external_id, {"first_name": "Late", "last_name": contact.last_name,
                                                   "email": contact.email})
    contacts = len(product.ids("contacts"))
    ticket = TicketFactory(msp=msp, client=world["by_id"], subject="Half-sent", status=Ticket.Status.NEW)
    tl = TicketLink.objects.create(msp=msp, connection=syncing, ticket=ticket)
    connector.create_ticket(company.external_id, {"summary": "Half-sent", "marker": tl.marker})
    tickets = len(product.ids("tickets"))

    _sync(msp, syncing)
    assert len(product.ids("companies")) == companies
    assert len(product.ids("contacts")) == contacts
    assert len(product.ids("tickets")) == tickets
    assert CompanyLink.objects.get(pk=link.pk).state == "linked"
    assert ContactLink.objects.get(pk=cl.pk).external_id
    assert TicketLink.objects.get(pk=tl.pk).external_id

    # A full sync that dies mid-listing (the PSA fails for good), then runs again.
    product.seed(companies=3, contacts_per_company=2, seed=99)
    product.fault(500, times=50, path=getattr(product, "contacts_path", "ontact"), skip=1)
    PsaConnection.objects.filter(pk=syncing.pk).update(page_size=5)  # several pages: die after the first
    syncing.refresh_from_db()
    failed = connection_sync(msp=msp, connection=syncing, full=True)
    assert failed.status == PsaSyncRun.Status.FAILED, (failed.counts, failed.requests, psa.product.inspect())
    product.faults.clear()
    _sync(msp, syncing, full=True)
    _sync(msp, syncing)
    emails = list(Contact.objects.filter(msp=msp).exclude(email="").values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    assert ContactLink.objects.filter(msp=msp).exclude(external_id="").count() == len(product.ids("contacts"))
    assert CompanyLink.objects.filter(msp=msp).exclude(external_id="").count() == len(product.ids("companies"))


def test_hooks_push_new_tickets_and_follow_archive(msp, psa, world, syncing, user, celery_eager,
                                                   django_capture_on_commit_callbacks):
    """The real triggers: a ticket saved for a linked client queues its PSA create; an
    archive queues the PSA company's deactivation, a restore its reactivation."""
    from clients.lifecycle import client_archive, client_restore
    from tickets.services import ticket_create

    product = psa.product
    client = world["by_id"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(msp=msp, subject="Scanner offline", client=client, actor=user)
    link = TicketLink.objects.get(msp=msp, ticket=ticket)
    assert link.external_id in product.ids("tickets")
    external = _link(msp, client).external_id
    with django_capture_on_commit_callbacks(execute=True):
        client_archive(msp=msp, client=client, actor=user)
    if CONNECTORS[psa.kind].supports_inactive:
        assert product.company_fields(external)["active"] is False
    with django_capture_on_commit_callbacks(execute=True):
        client_restore(msp=msp, client=client, actor=user)
    assert product.company_fields(external)["active"] is True


def test_permanently_deleted_client_is_not_reimported(msp, psa, world, syncing):
    from accounts.roles import Role
    from accounts.tests.factories import UserFactory
    from clients.lifecycle import client_archive, client_delete_permanently

    boss = UserFactory(msp=msp, role=Role.SUPER_ADMIN)
    client = world["by_id"]
    link = _link(msp, client)
    client = client_archive(msp=msp, client=client, actor=boss)
    client_delete_permanently(msp=msp, client_id=client.pk, actor=boss, typed_name=client.name)
    psa.product.advance_clock(5)
    psa.product.edit_company(link.external_id, city="Elsewhere")
    _sync(msp, syncing)
    link.refresh_from_db()
    assert (link.state, link.match_reason, link.client_id) == ("ignored", "deleted", None)
    assert not Client.objects.filter(msp=msp, psa_id=link.external_id).exists()
