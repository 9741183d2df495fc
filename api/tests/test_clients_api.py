"""/api/v1/clients/: seed 001's customer endpoints."""

import uuid

import factory
import pytest

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from billing.tests.factories import InvoiceFactory
from clients.models import Client
from clients.tests.factories import ClientDomainFactory, ClientFactory, TagFactory
from contacts.tests.factories import ContactFactory
from integrations.m365.models import M365Tenant
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope
from opsmerge.testing.factories import MspOwnedFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


class TenantFactory(MspOwnedFactory):
    class Meta:
        model = M365Tenant

    tenant_id = factory.LazyFunction(uuid.uuid4)
    display_name = "Contoso tenant"
    consent_state = M365Tenant.ConsentState.CONNECTED


def test_list_has_seed_001_summary_columns(api, msp):
    client = ClientFactory(msp=msp, name="Contoso", psa_id="CW-42")
    ClientDomainFactory(msp=msp, client=client, domain="contoso.example")
    ContactFactory(msp=msp, client=client, first_name="Pat", last_name="Primary", email="pat@contoso.example",
                   is_primary=True)
    AssetFactory(msp=msp, client=client)
    TicketFactory(msp=msp, client=client)
    TenantFactory(msp=msp, client=client)
    TenantFactory(msp=msp, client=client, consent_state=M365Tenant.ConsentState.RECONNECT_REQUIRED)
    row = api.get("/api/v1/clients/").json()["results"][0]
    assert row["name"] == "Contoso" and row["psa_id"] == "CW-42"
    assert row["primary_domain"] == "contoso.example"
    assert row["primary_contact"]["name"] == "Pat Primary" and row["primary_contact"]["email"] == "pat@contoso.example"
    assert (row["asset_count"], row["open_ticket_count"], row["tenant_count"]) == (1, 1, 2)
    assert row["health_status"] == "attention"
    assert row["created_at"]


def test_list_uses_the_web_filterset_ordering_and_pagination(api, msp):
    gold = TagFactory(msp=msp, name="tier:gold")
    for i in range(5):
        ClientFactory(msp=msp, name=f"Client {i}")
    tagged = ClientFactory(msp=msp, name="Zeta Gold")
    with msp_scope(msp):
        Client.tags.through.objects.create(msp=msp, client=tagged, tag=gold)
    ClientFactory(msp=msp, name="Old One", status="archived", archived_at="2026-01-01T00:00:00Z")

    names = [r["name"] for r in api.get("/api/v1/clients/").json()["results"]]
    assert "Old One" not in names and names == sorted(names)
    assert [r["name"] for r in api.get("/api/v1/clients/?status=archived").json()["results"]] == ["Old One"]
    assert [r["name"] for r in api.get("/api/v1/clients/?tag=tier:gold").json()["results"]] == ["Zeta Gold"]
    assert api.get("/api/v1/clients/?q=zeta").json()["count"] == 1
    first = api.get("/api/v1/clients/?ordering=-name&page_size=2").json()
    assert first["count"] == 6 and [r["name"] for r in first["results"]] == ["Zeta Gold", "Client 4"]
    second = api.get(first["next"]).json()
    assert [r["name"] for r in second["results"]] == ["Client 3", "Client 2"]
    bad = api.get("/api/v1/clients/?status=nope")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "status"
    assert api.get("/api/v1/clients/?page=99").status_code == 404


def test_create_goes_through_the_service(api, msp):
    response = api.post("/api/v1/clients/", {
        "name": "Fabrikam", "domains": ["Fabrikam.example", "fab.example"], "tags": ["tier:gold"],
        "country": "US", "state": "US-CA", "time_zone": "America/Los_Angeles",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["domains"] == ["fabrikam.example", "fab.example"] and body["primary_domain"] == "fabrikam.example"
    assert body["tags"] == ["tier:gold"]
    with msp_scope(msp):
        assert AuditEvent.objects.filter(action="client.create", object_id=str(body["id"])).exists()


@pytest.mark.parametrize("payload, field", [
    ({}, "name"),
    ({"name": "X", "country": "GB", "state": "US-CA"}, "state"),
    ({"name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"name": "X", "domains": ["not a domain"]}, "domains"),
    ({"name": "X", "status": "archived"}, "status"),
    ({"name": "X", "account_manager": 999999}, "account_manager"),
    ({"name": "X", "custom_fields": ["not", "a", "dict"]}, "custom_fields"),
    ({"name": "X", "tags": "gold"}, "tags"),
])
def test_create_errors_name_the_field(api, payload, field):
    response = api.post("/api/v1/clients/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == field, body


def test_domain_taken_by_another_client_is_a_field_error(api, msp):
    ClientDomainFactory(msp=msp, domain="taken.example")
    response = api.post("/api/v1/clients/", {"name": "X", "domains": ["taken.example"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "invalid", "attr": "domains",
                                          "detail": response.json()["errors"][0]["detail"]}]
    assert "taken.example already belongs to" in response.json()["errors"][0]["detail"]


def test_retrieve_includes_tenants_and_works_for_archived(api, msp):
    client = ClientFactory(msp=msp, name="Gone", status="archived", archived_at="2026-01-01T00:00:00Z")
    tenant = TenantFactory(msp=msp, client=client, display_name="Gone tenant")
    body = api.get(f"/api/v1/clients/{client.pk}/").json()
    assert body["status"] == "archived"
    assert [t["tenant_id"] for t in body["m365_tenants"]] == [str(tenant.tenant_id)]


def test_update_and_partial_update(api, msp):
    client = ClientFactory(msp=msp, name="Old name")
    ClientDomainFactory(msp=msp, client=client, domain="keep.example")
    response = api.patch(f"/api/v1/clients/{client.pk}/", {"name": "New name"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "New name"
    assert response.json()["domains"] == ["keep.example"]  # omitted related sets are left alone
    response = api.put(f"/api/v1/clients/{client.pk}/", {"name": "Put name", "domains": []}, format="json")
    assert response.status_code == 200 and response.json()["domains"] == []
    response = api.patch(f"/api/v1/clients/{client.pk}/", {"status": "archived"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "status"


def test_archive_and_restore_actions(api, msp):
    client = ClientFactory(msp=msp, name="Sleepy", status="lead")
    response = api.post(f"/api/v1/clients/{client.pk}/archive/", {"reason": "Left us"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "archived" and response.json()["archive_reason"] == "Left us"
    assert api.post(f"/api/v1/clients/{client.pk}/archive/", {}, format="json").status_code == 200  # idempotent
    response = api.post(f"/api/v1/clients/{client.pk}/restore/")
    assert response.status_code == 200 and response.json()["status"] == "lead"


def test_archive_needs_the_archive_permission(make_api, user, msp):
    client = ClientFactory(msp=msp)
    tech_api = make_api(user, role=Role.TECHNICIAN)
    assert tech_api.post(f"/api/v1/clients/{client.pk}/archive/").status_code == 403


def test_delete_follows_the_lifecycle_rules(make_api, super_user, user, msp):
    client = ClientFactory(msp=msp, name="Doomed Ltd")
    admin_api, root_api = make_api(user), make_api(super_user, role=Role.SUPER_ADMIN)
    url = f"/api/v1/clients/{client.pk}/"
    assert admin_api.delete(url + "?typed_name=Doomed%20Ltd").status_code == 403  # Super Admin only

    response = root_api.delete(url + "?typed_name=Doomed%20Ltd")
    assert response.status_code == 400  # not archived yet (stage 1 first)
    assert "archive it first" in response.json()["errors"][0]["detail"]

    root_api.post(f"{url}archive/")
    TenantFactory(msp=msp, client=client)  # seed 001: a customer with a connected tenant stays
    InvoiceFactory(msp=msp, client=client, outstanding_balance="10.00")
    response = root_api.delete(url + "?typed_name=doomed%20ltd")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "typed_name"
    details = " ".join(e["detail"] for e in root_api.delete(url + "?typed_name=Doomed%20Ltd").json()["errors"])
    assert "tenant" in details and "outstanding balance" in details
    assert api_get_status(root_api, url) == 200

    with msp_scope(msp):
        M365Tenant.objects.filter(client=client).update(consent_state=M365Tenant.ConsentState.DISCONNECTED)
        client.invoices.update(outstanding_balance=0)
    response = root_api.delete(url, {"typed_name": "Doomed Ltd"}, format="json")
    assert response.status_code == 200, response.json()
    assert api_get_status(root_api, url) == 404


def api_get_status(api, url):
    return api.get(url).status_code


def test_merge_action_queues_a_merge(make_api, user, msp):
    target, dup = ClientFactory(msp=msp, name="Contoso"), ClientFactory(msp=msp, name="Contoso Ltd")
    api = make_api(user, role=Role.ADMIN)
    response = api.post(f"/api/v1/clients/{target.pk}/merge/", {"sources": [dup.pk], "reason": "dup"}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued" and response.json()["source_ids"] == [dup.pk]
    assert api.get(f"/api/v1/client-merges/{response.json()['id']}/").json()["status"] == "queued"
    self_merge = api.post(f"/api/v1/clients/{target.pk}/merge/", {"sources": [target.pk]}, format="json")
    assert self_merge.status_code == 400 and self_merge.json()["errors"][0]["attr"] == "target"
    unknown = api.post(f"/api/v1/clients/{target.pk}/merge/", {"sources": [999999]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["attr"] == "sources"
    tech = make_api(user, role=Role.TECHNICIAN)
    assert tech.post(f"/api/v1/clients/{target.pk}/merge/", {"sources": [dup.pk]}, format="json").status_code == 403
