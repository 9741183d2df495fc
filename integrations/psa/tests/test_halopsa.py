"""HaloPSA connector: OAuth client credentials (one refresh on 401), page_no/page_size
paging to record_count, clients joined with their main site, JSON-array writes,
Halo's 400 messages mapped to neutral fields, 429 with Retry-After."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import pytest

from integrations.psa.connectors import connector_class
from integrations.psa.connectors.base import PsaError
from integrations.psa.connectors.halopsa import HaloConnector


@pytest.fixture
def halo(psa_emulator):
    return psa_emulator["halopsa"]


def connect(emu, **kwargs) -> HaloConnector:
    return HaloConnector(base_url=emu.base_url, credentials=emu.credentials, **kwargs)


def test_registered():
    assert connector_class("halopsa") is HaloConnector


@pytest.mark.parametrize(("body", "resource", "field"), [
    ("Please enter a name for the Customer.", "Client", "name"),
    ("'x@' is not a valid email address.", "Users", "email"),
    ("The mobile number must be text of at most 50 characters.", "Users", "mobile"),
    ("Please enter a Summary for the Ticket.", "Tickets", "summary"),
    ("Please select a Site for the User.", "Users", ""),
])
def test_refusal_messages_name_neutral_fields(body, resource, field):
    err = HaloConnector._error(400, body, resource)
    assert err.kind == "validation" and err.field_errors == {field: [body]}


def test_check_gets_a_token_with_tenant_and_scope_all(halo):
    conn = connect(halo)
    conn.check()
    assert conn.requests == 2  # token + one page of one client
    assert halo.product.inspect()["tokens_issued"] == 1
    conn.check()
    assert halo.product.inspect()["tokens_issued"] == 1  # reused until it nears expiry


def test_bad_client_secret_is_an_auth_error_without_retries(halo):
    conn = HaloConnector(base_url=halo.base_url, credentials={**halo.credentials, "client_secret": "wrong"})
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert (exc.value.kind, exc.value.code, exc.value.status) == ("auth", "invalid_client", 401)
    assert conn.requests == 1


def test_unknown_tenant_is_an_auth_error(halo):
    conn = HaloConnector(base_url=halo.base_url, credentials={**halo.credentials, "tenant": "someone-else"})
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert exc.value.kind == "auth"


def test_expired_token_is_refreshed_once(halo):
    halo.product.seed(companies=3, contacts_per_company=1)
    conn = connect(halo)
    conn.check()
    halo.product.expire_tokens()
    assert len(list(conn.list_companies())) == 3
    assert halo.product.inspect()["tokens_issued"] == 2


def test_token_is_renewed_before_it_expires(halo):
    halo.product.configure(token_lifetime=2)  # renewed at half its life when shorter than the minute margin
    conn = connect(halo)
    conn.check()
    conn.check()
    assert halo.product.inspect()["tokens_issued"] == 1
    time.sleep(1.05)
    conn.check()
    assert halo.product.inspect()["tokens_issued"] == 2
    assert "throttled" not in halo.product.inspect()["requests"]
    assert conn.requests == 5  # 2 tokens + 3 checks: no 401 round trip


def test_second_401_after_refresh_is_an_auth_error(halo):
    conn = connect(halo)
    conn.check()
    halo.product.fault(401, times=2, path="(?i)/api/client")
    with pytest.raises(PsaError) as exc:
        conn.check()
    assert exc.value.kind == "auth" and exc.value.status == 401
    assert halo.product.inspect()["tokens_issued"] == 2  # exactly one refresh


def test_pages_stop_at_record_count(halo):
    halo.product.seed(companies=45, contacts_per_company=2)
    conn = connect(halo, page_size=20)
    companies = list(conn.list_companies())
    assert len(companies) == 45 and len({c.external_id for c in companies}) == 45
    counts = halo.product.inspect()["requests"]
    assert counts["GET Client"] == math.ceil(45 / 20) and counts["GET Site"] == math.ceil(45 / 20)
    contacts = list(conn.list_contacts())
    assert len(contacts) == 90
    assert halo.product.inspect()["requests"]["GET Users"] == math.ceil(90 / 20)


def test_a_server_capping_page_size_still_yields_everything(halo):
    halo.product.seed(companies=23, contacts_per_company=0)
    halo.product.page_cap = 7
    conn = connect(halo, page_size=20)
    assert len({c.external_id for c in conn.list_companies()}) == 23
    assert halo.product.inspect()["requests"]["GET Client"] == math.ceil(23 / 7)


def test_inactive_records_are_listed_too(halo):
    halo.product.seed(companies=10, contacts_per_company=2)
    conn = connect(halo)
    companies = list(conn.list_companies())
    assert len(companies) == 10
    assert [c.active for c in companies].count(False) == 1  # company 5 of the seed
    assert any(not c.active for c in conn.list_contacts())


def test_company_joins_main_site_address_and_tolerates_partial_records(halo):
    halo.product.seed(companies=8, contacts_per_company=1)
    by_id = {c.external_id: c for c in connect(halo).list_companies()}
    rows = halo.product.rows["Client"]
    partial = by_id[str(list(rows)[3])]
    assert partial.website == partial.phone == partial.street == partial.country == partial.domain == ""
    full = by_id[str(next(iter(rows)))]
    assert full.street and full.city and full.country == "US" and full.phone
    assert full.domain == full.website.removeprefix("https://www.")
    assert full.updated_at is None  # Halo keeps no last-modified time on clients


def test_since_cannot_narrow_clients_but_narrows_tickets(halo):
    product = halo.product
    product.seed(companies=4, contacts_per_company=1, tickets_per_company=2)
    conn = connect(halo)
    since = datetime.now(UTC) - timedelta(seconds=5)
    assert len(list(conn.list_companies(since=since))) == 4
    ticket_id = list(product.rows["Tickets"])[3]
    product.touch("Tickets", ticket_id, status_id=9)
    [changed] = conn.list_tickets(since=since)
    assert changed.external_id == str(ticket_id) and changed.status == "closed"
    assert changed.updated_at >= since.replace(microsecond=0)
    assert len(list(conn.list_tickets())) == 8


def test_create_update_and_deactivate_company(halo):
    conn = connect(halo)
    created = conn.create_company({"name": "Contoso Ltd", "website": "https://www.contoso.example",
                                   "phone": "555-0100", "street": "1 Main St", "city": "Leeds", "postcode": "LS1 1AA",
                                   "country": "GB"})
    assert (created.name, created.domain, created.phone, created.city, created.country) == (
        "Contoso Ltd", "contoso.example", "555-0100", "Leeds", "GB")
    updated = conn.update_company(created.external_id, {"city": "York", "name": "Contoso Group"})
    assert (updated.name, updated.city, updated.street, updated.phone) == ("Contoso Group", "York", "1 Main St",
                                                                           "555-0100")
    conn.set_company_active(created.external_id, False)
    assert conn.get_company(created.external_id).active is False
    conn.set_company_active(created.external_id, True)
    assert conn.get_company(created.external_id).active is True


def test_company_without_name_is_refused_with_the_field(halo):
    conn = connect(halo)
    with pytest.raises(PsaError) as exc:
        conn.create_company({"name": "  "})
    assert exc.value.kind == "validation"
    assert exc.value.field_errors == {"name": ["Please enter a name for the Customer."]}
    assert halo.product.inspect()["records"]["companies"] == 0  # nothing half-written


def test_contacts_go_to_the_main_site(halo):
    halo.product.seed(companies=2, contacts_per_company=0)
    company = str(list(halo.product.rows["Client"])[1])
    conn = connect(halo)
    contact = conn.create_contact(company, {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example",
                                            "mobile": "07700 900123", "title": "Rear Admiral"})
    row = halo.product.rows["Users"][int(contact.external_id)]
    assert row["site_id"] == halo.product.rows["Client"][int(company)]["main_site_id"]
    assert row["name"] == "Grace Hopper"
    assert (contact.company_external_id, contact.email, contact.mobile) == (company, "grace@navy.example",
                                                                           "07700 900123")
    updated = conn.update_contact(contact.external_id, {"last_name": "Murray Hopper"})
    assert updated.first_name == "Grace" and updated.last_name == "Murray Hopper"
    assert halo.product.rows["Users"][int(contact.external_id)]["name"] == "Grace Murray Hopper"
    assert [c.external_id for c in conn.list_contacts(company_external_id=company)] == [contact.external_id]
    with pytest.raises(PsaError) as exc:
        conn.create_contact(company, {"first_name": "Bad", "last_name": "Mail", "email": "nope"})
    assert list(exc.value.field_errors) == ["email"]


def test_ticket_create_and_status_read_back(halo):
    halo.product.seed(companies=1, contacts_per_company=1)
    company = str(next(iter(halo.product.rows["Client"])))
    contact = str(next(iter(halo.product.rows["Users"])))
    conn = connect(halo)
    ticket = conn.create_ticket(company, {"summary": "Email down", "description": "All users", "priority": "high",
                                          "contact_external_id": contact})
    row = halo.product.rows["Tickets"][int(ticket.external_id)]
    assert (row["status_id"], row["priority_id"], row["user_id"], row["details"]) == (1, 2, int(contact), "All users")
    assert (ticket.status, ticket.priority, ticket.contact_external_id) == ("new", "high", contact)
    halo.product.touch("Tickets", int(ticket.external_id), status_id=4)
    assert conn.get_ticket(ticket.external_id).status == "waiting"
    halo.product.touch("Tickets", int(ticket.external_id), status_id=8)
    [read] = conn.list_tickets(external_ids=[ticket.external_id])
    assert read.status == "resolved"
    with pytest.raises(PsaError) as exc:
        conn.create_ticket(company, {"summary": ""})
    assert list(exc.value.field_errors) == ["summary"]


def test_rate_limit_429_is_retried_after_retry_after(halo):
    halo.product.seed(companies=6, contacts_per_company=0)
    halo.product.configure(limit=2, window=1.0)
    conn = connect(halo, page_size=2)
    assert len(list(conn.list_companies())) == 6  # 3 site pages + 3 client pages, 2 a second
    assert halo.product.inspect()["requests"]["throttled"] >= 1


def test_injected_server_errors_are_retried(halo):
    halo.product.seed(companies=2, contacts_per_company=0)
    halo.product.fault(503, path="(?i)/api/site")
    halo.product.fault(429, retry_after=1, path="(?i)/api/client")
    conn = connect(halo)
    assert len(list(conn.list_companies())) == 2
    assert conn.requests == 1 + 2 + 2  # token, sites (503, 200), clients (429, 200)


def test_missing_records_are_not_found(halo):
    conn = connect(halo)
    for call in (lambda: conn.get_company("424242"), lambda: conn.get_ticket("99"), lambda: conn.get_company("x")):
        with pytest.raises(PsaError) as exc:
            call()
        assert exc.value.kind == "not_found"


@pytest.mark.django_db
def test_connect_form_takes_client_credentials_and_shows_refusals(web, msp, halo, scoped):
    from django.urls import reverse

    from integrations.psa.models import PsaConnection

    url = f"{reverse('settings:psa_connect')}?kind=halopsa"
    html = web.get(url).content.decode()
    for name in ("client_id", "client_secret", "tenant", "auth_url"):
        assert f'name="{name}"' in html
    refused = web.post(url, {"base_url": halo.base_url, **halo.credentials, "client_secret": "nope"})
    assert refused.status_code == 400 and "HaloPSA refused" in refused.content.decode()
    assert not PsaConnection.objects.filter(msp=msp).exists()
    ok = web.post(url, {"base_url": halo.base_url, **halo.credentials})
    assert ok.status_code == 302
    conn = PsaConnection.objects.get(msp=msp)
    assert conn.status == "ok" and "client_secret" not in conn.credentials
