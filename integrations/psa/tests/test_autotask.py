"""Autotask connector: unit mappings, and the full contract against the emulator
(zone discovery, query paging via nextPageUrl, since-filters, writes read back,
Autotask's error shapes, the request threshold's 429)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from integrations.psa.connectors import connector_class
from integrations.psa.connectors.autotask import AutotaskConnector, priority_of, status_of
from integrations.psa.connectors.base import PsaError


@pytest.fixture
def autotask(psa_emulator):
    return psa_emulator["autotask"]


def connect(emu, **kwargs) -> AutotaskConnector:
    return AutotaskConnector(base_url=emu.base_url, credentials=emu.credentials, **kwargs)


# -- pure mapping ------------------------------------------------------------------------


def test_registered():
    assert connector_class("autotask") is AutotaskConnector


@pytest.mark.parametrize(("label", "neutral"), [
    ("New", "new"), ("In Progress", "open"), ("Waiting Customer", "waiting"), ("On Hold", "waiting"),
    ("Complete", "resolved"), ("Closed", "closed"), ("Resolved - awaiting confirmation", "resolved"),
    ("Dispatched", "open"),
])
def test_status_labels(label, neutral):
    assert status_of(label) == neutral


@pytest.mark.parametrize(("label", "neutral"), [("Critical", "urgent"), ("High", "high"), ("Medium", "normal"),
                                                ("Low", "low"), ("P3 - Standard", "normal")])
def test_priority_labels(label, neutral):
    assert priority_of(label) == neutral


def test_validation_body_maps_to_neutral_fields():
    conn = AutotaskConnector(credentials={"username": "u", "secret": "s", "integration_code": "c"})
    err = conn._error(500, {"errors": ["String value exceeds maximum length (field:companyName).  | Error creating "
                                       "entity for record number [1]."]}, "Companies")
    assert err.kind == "validation"
    assert err.field_errors == {"name": ["String value exceeds maximum length (field:companyName)."]}
    err = conn._error(500, {"errors": ["Value does not exist for the required field lastName.  | Error creating "
                                       "entity for record number [1]."]}, "Contacts")
    assert err.field_errors == {"last_name": ["Value does not exist for the required field lastName."]}
    assert conn._error(500, {"errors": ["IntegrationCode is invalid."]}).kind == "auth"
    assert conn._error(500, {"errors": ["An unexpected error has occurred."]}).kind == "transient"
    assert conn._error(401, {"Message": "Authorization has been denied for this request."}).kind == "auth"


def test_base_url_forms_are_normalised():
    creds = {"username": "u", "secret": "s", "integration_code": "c"}
    for url in ("https://webservices.autotask.net", "https://webservices.autotask.net/ATServicesRest/",
                "https://webservices.autotask.net/atservicesrest/v1.0"):
        assert AutotaskConnector(base_url=url, credentials=creds).base_url == "https://webservices.autotask.net"


# -- against the emulator --------------------------------------------------------------------


def test_zone_discovery_then_zone_url(autotask):
    conn = connect(autotask)
    conn.check()
    assert conn.zone == f"{autotask.base_url}/ws2/ATServicesRest/V1.0/"
    assert conn.requests == 2  # zoneInformation + one query, both on the discovered zone


def test_lists_every_page_following_next_page_url(autotask):
    autotask.product.seed(companies=23, contacts_per_company=3)
    conn = connect(autotask, page_size=10)
    companies = list(conn.list_companies())
    assert len(companies) == 23
    assert len({c.external_id for c in companies}) == 23
    counts = autotask.product.inspect()["requests"]
    assert counts["POST Companies"] == 1 and counts["GET Companies"] == math.ceil(23 / 10) - 1
    contacts = list(conn.list_contacts())
    assert len(contacts) == 69
    assert {c.company_external_id for c in contacts} == {c.external_id for c in companies}


def test_default_page_is_autotask_maximum(autotask):
    autotask.product.seed(companies=501, contacts_per_company=0)
    conn = connect(autotask)
    assert conn.page_size == 500
    assert len(list(conn.list_companies())) == 501
    assert autotask.product.inspect()["requests"]["GET Companies"] == 1  # one nextPageUrl


def test_since_filters_return_only_changes(autotask):
    product = autotask.product
    product.seed(companies=12, contacts_per_company=2)
    ids = product.tables["Companies"].ids
    since = datetime.now(UTC) - timedelta(seconds=5)
    product.touch("Companies", ids[3], phone="555-0100")
    product.touch("Companies", ids[7], companyName="Renamed Ltd")  # one of the never-tracked (partial) ones
    contact_id = product.tables["Contacts"].ids[5]
    product.touch("Contacts", contact_id, title="CFO")
    conn = connect(autotask)
    changed = {c.external_id: c for c in conn.list_companies(since=since)}
    assert set(changed) == {str(ids[3]), str(ids[7])}
    assert changed[str(ids[7])].name == "Renamed Ltd"
    assert changed[str(ids[3])].updated_at >= since
    assert [c.title for c in conn.list_contacts(since=since)] == ["CFO"]
    company_of_contact = product.tables["Contacts"].rows[contact_id]["companyID"]
    assert len(list(conn.list_contacts(company_external_id=str(company_of_contact)))) == 2


def test_partial_records_are_tolerated(autotask):
    autotask.product.seed(companies=8, contacts_per_company=1)
    conn = connect(autotask)
    partial = next(c for c in conn.list_companies() if c.raw["lastTrackedModifiedDateTime"] is None)
    assert partial.phone == partial.website == partial.domain == partial.country == partial.city == ""
    assert partial.updated_at is not None  # falls back to lastActivityDate
    full = next(c for c in conn.list_companies() if c.raw["countryID"] == 237)
    assert full.country == "US" and full.domain and full.website.startswith("https://www.")


def test_create_update_and_deactivate_company(autotask):
    conn = connect(autotask)
    created = conn.create_company({"name": "Northwind Traders", "phone": "555-0101", "website": "https://northwind.example",
                                   "street": "1 Pier Rd", "city": "Leeds", "postcode": "LS1 1AA", "country": "GB"})
    assert created.name == "Northwind Traders" and created.country == "GB" and created.active
    assert created.domain == "northwind.example"
    row = autotask.product.tables["Companies"].rows[int(created.external_id)]
    assert row["countryID"] == 236 and row["ownerResourceID"] == autotask.product.tables["Resources"].ids[0]
    updated = conn.update_company(created.external_id, {"city": "York"})
    assert updated.city == "York" and updated.phone == "555-0101"  # PATCH: only the given field
    conn.set_company_active(created.external_id, False)
    assert conn.get_company(created.external_id).active is False


def test_company_validation_errors_name_the_neutral_field(autotask):
    conn = connect(autotask)
    with pytest.raises(PsaError) as exc:
        conn.create_company({"name": "x" * 101})
    assert exc.value.kind == "validation"
    assert list(exc.value.field_errors) == ["name"]
    assert "maximum length" in exc.value.field_errors["name"][0]
    with pytest.raises(PsaError) as exc:
        conn.create_company({"name": "", "phone": "1"})
    assert exc.value.field_errors == {"name": ["Value does not exist for the required field companyName."]}
    with pytest.raises(PsaError) as exc:
        conn.create_company({"name": "Somewhere", "country": "XX"})
    assert list(exc.value.field_errors) == ["country"]
    # a refused write is not retried (Autotask's validation answer is a 500); the unknown
    # country is refused before anything is sent
    assert autotask.product.inspect()["requests"]["POST Companies"] == 2


def test_missing_company_is_not_found(autotask):
    conn = connect(autotask)
    with pytest.raises(PsaError) as exc:
        conn.get_company("999999")
    assert exc.value.kind == "not_found"


def test_contacts_create_and_update_through_their_company(autotask):
    autotask.product.seed(companies=2, contacts_per_company=0)
    company = str(autotask.product.tables["Companies"].ids[1])
    conn = connect(autotask)
    contact = conn.create_contact(company, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@ex.example",
                                            "mobile": "555-0199"})
    assert (contact.company_external_id, contact.first_name, contact.mobile, contact.active) == (
        company, "Ada", "555-0199", True)
    updated = conn.update_contact(contact.external_id, {"title": "Countess", "phone": "555-0123"})
    assert updated.title == "Countess" and updated.email == "ada@ex.example"
    assert autotask.product.inspect()["requests"]["PATCH Companies"] == 1
    with pytest.raises(PsaError) as exc:
        conn.create_contact(company, {"first_name": "No", "last_name": "Mail", "email": "not-an-email"})
    assert list(exc.value.field_errors) == ["email"]
    with pytest.raises(PsaError) as exc:
        conn.create_contact(company, {"first_name": "Solo"})
    assert exc.value.field_errors == {"last_name": ["Value does not exist for the required field lastName."]}


def test_ticket_create_and_status_read_back(autotask):
    autotask.product.seed(companies=1, contacts_per_company=1)
    product = autotask.product
    company = str(product.tables["Companies"].ids[0])
    contact = str(product.tables["Contacts"].ids[0])
    conn = connect(autotask)
    ticket = conn.create_ticket(company, {"summary": "VPN down", "description": "Since 9am", "priority": "urgent",
                                          "contact_external_id": contact})
    row = product.tables["Tickets"].rows[int(ticket.external_id)]
    assert (row["status"], row["priority"], row["contactID"]) == (1, 4, int(contact))
    assert (ticket.status, ticket.priority, ticket.summary, ticket.contact_external_id) == (
        "new", "urgent", "VPN down", contact)
    product.touch("Tickets", int(ticket.external_id), status=7)
    assert conn.get_ticket(ticket.external_id).status == "waiting"
    product.touch("Tickets", int(ticket.external_id), status=5)
    [read] = conn.list_tickets(external_ids=[ticket.external_id])
    assert read.status == "resolved"  # Complete, Autotask's one terminal status
    assert [t.external_id for t in conn.list_tickets(since=datetime.now(UTC) - timedelta(minutes=1))] == [
        ticket.external_id]
    with pytest.raises(PsaError) as exc:
        conn.create_ticket(company, {"summary": ""})
    assert list(exc.value.field_errors) == ["summary"]
    closed = conn.create_ticket(company, {"summary": "Done already", "status": "closed", "marker": "abc123"})
    assert product.tables["Tickets"].rows[int(closed.external_id)]["status"] == 5
    assert conn.find_ticket_by_marker("abc123").external_id == closed.external_id
    assert conn.find_ticket_by_marker("nope") is None


def test_wrong_secret_is_an_auth_error(autotask):
    conn = AutotaskConnector(base_url=autotask.base_url, credentials={**autotask.credentials, "secret": "nope"})
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert exc.value.kind == "auth" and exc.value.status == 401


def test_unknown_user_fails_at_zone_discovery_without_retries(autotask):
    conn = AutotaskConnector(base_url=autotask.base_url,
                             credentials={**autotask.credentials, "username": "someone@else.example"})
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert exc.value.kind == "auth" and exc.value.status == 500
    assert conn.requests == 1


def test_bad_integration_code_is_an_auth_error(autotask):
    conn = AutotaskConnector(base_url=autotask.base_url,
                             credentials={**autotask.credentials, "integration_code": "WRONG"})
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert exc.value.kind == "auth"


def test_threshold_429_is_waited_out_with_retry_after(autotask):
    autotask.product.seed(companies=5, contacts_per_company=0)
    autotask.product.configure(limit=2, window=1.0)
    conn = connect(autotask, page_size=2)
    names = [c.name for c in conn.list_companies()]  # 3 pages + countries: past the threshold of 2 a second
    assert len(names) == 5
    assert autotask.product.inspect()["requests"]["throttled"] >= 1


def test_injected_faults_are_retried(autotask):
    autotask.product.seed(companies=3, contacts_per_company=0)
    autotask.product.fault(429, retry_after=1, path="Companies/query")
    autotask.product.fault(503, path="Companies/query")
    conn = connect(autotask)
    assert len(list(conn.list_companies())) == 3
    assert conn.requests == 1 + 3 + 1  # zone, query ×3 (429, 503, 200), countries


def test_rate_limit_that_never_clears_is_rate_limited(autotask):
    conn = connect(autotask)
    conn.zone  # noqa: B018 (discover first)
    autotask.product.set_budget(0, retry_after=1)
    with pytest.raises(PsaError) as exc:
        list(conn.list_companies())
    assert exc.value.kind == "rate_limited"


@pytest.mark.django_db
def test_connect_form_discovers_the_zone_and_shows_refusals(web, msp, autotask, scoped):
    from django.urls import reverse

    from integrations.psa.models import PsaConnection

    url = f"{reverse('settings:psa_connect')}?kind=autotask"
    html = web.get(url).content.decode()
    for name in ("username", "secret", "integration_code", "owner_resource_id"):
        assert f'name="{name}"' in html
    assert "webservices.autotask.net" in html
    refused = web.post(url, {"base_url": autotask.base_url, **autotask.credentials, "secret": "nope"})
    assert refused.status_code == 400 and "Autotask refused" in refused.content.decode()
    assert not PsaConnection.objects.filter(msp=msp).exists()
    ok = web.post(url, {"base_url": autotask.base_url, **autotask.credentials})
    assert ok.status_code == 302
    conn = PsaConnection.objects.get(msp=msp)
    assert conn.status == "ok" and "secret" not in conn.credentials
