"""Microsoft 365 endpoints: associate a tenant with a client (seed 001), list
tenants, trigger a sync and poll it."""

import uuid

import pytest

from accounts.roles import Role
from clients.tests.factories import ClientFactory
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.tests.factories import M365TenantFactory, SyncRunFactory
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def test_imported_tenant_is_associated_with_a_client(api, msp):
    client = ClientFactory(msp=msp, name="Contoso")
    waiting = M365TenantFactory(msp=msp, client=None, display_name="Contoso Ltd")
    response = api.post(f"/api/v1/clients/{client.pk}/tenants/", {"tenant_id": str(waiting.tenant_id)},
                        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["client"] == client.pk
    listed = api.get(f"/api/v1/clients/{client.pk}/tenants/").json()
    assert [t["display_name"] for t in listed["results"]] == ["Contoso Ltd"]
    assert api.get(f"/api/v1/clients/{client.pk}/").json()["tenant_count"] == 1


def test_a_tenant_belongs_to_one_client(api, msp):
    owner, other = ClientFactory(msp=msp), ClientFactory(msp=msp)
    tenant = M365TenantFactory(msp=msp, client=owner)
    response = api.post(f"/api/v1/clients/{other.pk}/tenants/", {"tenant_id": str(tenant.tenant_id)}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "tenant"
    with msp_scope(msp):
        assert M365Tenant.objects.get(pk=tenant.pk).client_id == owner.pk


def test_associate_validates_the_tenant_id_and_the_role(api, make_api, user, msp):
    client = ClientFactory(msp=msp)
    bad = api.post(f"/api/v1/clients/{client.pk}/tenants/", {"tenant_id": "not-a-guid"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "tenant_id"
    tech = make_api(user, role=Role.TECHNICIAN)
    assert tech.get(f"/api/v1/clients/{client.pk}/tenants/").status_code == 200
    assert tech.post(f"/api/v1/clients/{client.pk}/tenants/", {"tenant_id": str(uuid.uuid4())},
                     format="json").status_code == 403


def test_archived_clients_get_no_tenants(api, msp):
    client = ClientFactory(msp=msp, status="archived", archived_at="2026-01-01T00:00:00Z")
    waiting = M365TenantFactory(msp=msp, client=None)
    response = api.post(f"/api/v1/clients/{client.pk}/tenants/", {"tenant_id": str(waiting.tenant_id)},
                        format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "client"


def test_sync_is_triggered_once_and_polled(api, msp):
    tenant = M365TenantFactory(msp=msp, client=ClientFactory(msp=msp))
    first = api.post(f"/api/v1/m365-tenants/{tenant.pk}/sync/", {"full": True}, format="json")
    assert first.status_code == 202, first.json()
    run = first.json()
    assert run["status"] == "queued" and run["full"] is True and run["tenant"] == tenant.pk
    again = api.post(f"/api/v1/m365-tenants/{tenant.pk}/sync/", {}, format="json")
    assert again.json()["id"] == run["id"]  # a queued run is reused, not duplicated
    assert api.get(f"/api/v1/m365-sync-runs/{run['id']}/").json()["status"] == "queued"
    assert api.get(f"/api/v1/m365-sync-runs/?tenant={tenant.pk}&status=queued").json()["count"] == 1


def test_sync_refuses_disconnected_tenants_and_read_only_keys(api, make_api, user, msp):
    tenant = M365TenantFactory(msp=msp, client=ClientFactory(msp=msp),
                               consent_state=M365Tenant.ConsentState.DISCONNECTED)
    response = api.post(f"/api/v1/m365-tenants/{tenant.pk}/sync/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "tenant"
    read_only = make_api(user, role=Role.READ_ONLY)
    assert read_only.post(f"/api/v1/m365-tenants/{tenant.pk}/sync/", {}, format="json").status_code == 403


def test_sync_runs_list(api, msp):
    SyncRunFactory(msp=msp, status=SyncRun.Status.SUCCEEDED, counts={"contacts": 3})
    body = api.get("/api/v1/m365-sync-runs/?status=succeeded").json()
    assert body["count"] == 1 and body["results"][0]["counts"] == {"contacts": 3}


def test_clients_expose_tenant_health_summaries(api, msp, scoped):
    from integrations.m365.models import M365Tenant
    from integrations.m365.tests.test_health import OVERVIEW_HEALTH, _world

    calm, red = _world(msp)
    M365Tenant.objects.filter(msp=msp, client=calm).update(**OVERVIEW_HEALTH)
    body = api.get(f"/api/v1/clients/{red.pk}/").json()
    assert (body["health_status"], body["tenant_count"], body["total_users"]) == ("critical", 2, 42)
    body = api.get(f"/api/v1/clients/{calm.pk}/").json()
    assert body["m365_summary"]["licences_assigned"] == 7 and body["m365_summary"]["lowest_secure_score_pct"] == 72
    assert body["m365_summary"]["permissions_missing"] == ["AuditLog.Read.All"]
    assert body["m365_tenants"][0]["licences"][0]["name"] == "Microsoft 365 Business Premium"
    assert api.get("/api/v1/clients/?ordering=-m365_health_rank").json()["results"][0]["name"] == "Red Co"
    assert [c["name"] for c in api.get("/api/v1/clients/?health=critical").json()["results"]] == ["Red Co"]
