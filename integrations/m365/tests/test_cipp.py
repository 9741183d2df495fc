"""CIPP as a source: connect and test, map CIPP tenants to clients by domain, and
sync a CIPP tenant through the same mapping and writes as Graph, against the
emulator's CIPP-API routes (real requests, real PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assets.models import Asset
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from integrations.m365 import cipp
from integrations.m365.mapping import CONTACT_OWNED
from integrations.m365.models import CippConnection, M365Tenant, SyncRun
from integrations.m365.sync import tenant_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def cipp_api(m365_emulator, scoped):
    return m365_emulator.state.add_cipp()


@pytest.fixture
def cipp_connection(msp, m365_emulator, cipp_api):
    return cipp.connection_save(msp=msp, base_url=m365_emulator.base_url + "/", tenant_id=cipp_api.tid,
                                client_id=cipp_api.client_id, client_secret=cipp_api.secret)


@pytest.fixture
def cipp_tenant(msp, m365_client, emu_tenant, cipp_connection):
    row = next(r for r in cipp.CippClient(cipp_connection).tenants() if r["customerId"] == emu_tenant.tid)
    return cipp.tenant_link(msp=msp, client=m365_client, row=row)


def test_connect_and_test_connection(msp, cipp_connection, emu_tenant):
    tenants = cipp.connection_test(msp=msp, connection=cipp_connection)
    assert [t["customerId"] for t in tenants] == [emu_tenant.tid]
    stored = CippConnection.objects.get(msp=msp)
    assert stored.status == CippConnection.Status.OK and stored.last_checked_at is not None
    # saving again with a blank secret keeps the stored one
    again = cipp.connection_save(msp=msp, base_url=stored.base_url, tenant_id=stored.tenant_id,
                                 client_id=stored.client_id, client_secret="")
    assert again.pk == stored.pk and again.client_secret == stored.client_secret


def test_test_connection_errors_land_on_fields(msp, cipp_connection, cipp_api, m365_emulator):
    cipp_connection.client_secret = "wrong"
    with pytest.raises(ValidationError) as err:
        cipp.connection_test(msp=msp, connection=cipp_connection)
    assert "client_secret" in err.value.message_dict
    assert CippConnection.objects.get(msp=msp).status == CippConnection.Status.FAILED
    cipp_connection.client_secret = cipp_api.secret
    m365_emulator.state.fault("cipp_ListTenants", 401, times=2)  # a fresh token is refused too
    with pytest.raises(ValidationError) as err:
        cipp.connection_test(msp=msp, connection=cipp_connection)
    assert "401" in err.value.message_dict["client_id"][0]
    cipp_api.has_role = False
    with pytest.raises(ValidationError) as err:
        cipp.connection_test(msp=msp, connection=cipp_connection)
    assert "403" in err.value.message_dict["client_id"][0]


def test_tenants_are_matched_to_clients_by_domain(msp, m365_client, emu_tenant, cipp_connection, m365_emulator):
    other = m365_emulator.state.add_tenant("Fabrikam", ["fabrikam.example", "fabrikam.onmicrosoft.com"])
    fabrikam = ClientFactory(msp=msp, name="Fabrikam")
    ClientDomainFactory(msp=msp, client=fabrikam, domain="fabrikam.example")
    ClientFactory(msp=msp, name="Unrelated")
    rows = {r["tenant_id"]: r for r in cipp.cipp_tenant_rows(msp=msp, tenants=cipp.connection_test(
        msp=msp, connection=cipp_connection))}
    assert rows[emu_tenant.tid]["suggestions"] == [m365_client]
    assert rows[other.tid]["suggestions"] == [fabrikam]
    assert rows[other.tid]["linked"] is None
    row = next(r for r in cipp.CippClient(cipp_connection).tenants() if r["customerId"] == other.tid)
    tenant = cipp.tenant_link(msp=msp, client=fabrikam, row=row)
    assert tenant.source == M365Tenant.Source.CIPP and tenant.client == fabrikam
    assert tenant.default_domain == "fabrikam.example"
    assert tenant.consent_state == M365Tenant.ConsentState.CONNECTED
    with pytest.raises(ValidationError):  # a tenant belongs to one client
        cipp.tenant_link(msp=msp, client=m365_client, row=row)


def test_cipp_sync_maps_users_and_intune_devices_like_graph(msp, connected, emu_tenant, m365_emulator, cipp_api,
                                                            cipp_connection):
    graph_run = tenant_sync(msp=msp, tenant=connected)
    assert graph_run.status == SyncRun.Status.SUCCEEDED, graph_run.error_message
    by_graph = {c["m365_object_id"]: c for c in Contact.objects.filter(msp=msp, m365_tenant=connected)
                .values("m365_object_id", *CONTACT_OWNED)}
    # The same tenant, now read from CIPP: every contact is found unchanged.
    row = next(r for r in cipp.CippClient(cipp_connection).tenants() if r["customerId"] == emu_tenant.tid)
    tenant = cipp.tenant_link(msp=msp, client=connected.client, row=row)
    assert tenant.pk == connected.pk
    run = tenant_sync(msp=msp, tenant=tenant)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    contacts = run.counts["contacts"]
    assert contacts.get("created", 0) == 0 and contacts.get("updated", 0) == 0
    assert contacts["unchanged"] == len(by_graph) and contacts["skipped"] >= 2  # guests, service accounts
    assert {c["m365_object_id"]: c for c in Contact.objects.filter(msp=msp, m365_tenant=tenant)
            .values("m365_object_id", *CONTACT_OWNED)} == by_graph
    assert m365_emulator.state.counts["cipp_ListUsers"] == 1 and m365_emulator.state.counts["cipp_ListDevices"] == 1
    assert run.requests == 2  # ListUsers + ListDevices; no health from CIPP


def test_cipp_sync_creates_then_deactivates(msp, cipp_tenant, emu_tenant, m365_emulator):
    run = tenant_sync(msp=msp, tenant=cipp_tenant)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    members = [u for u in emu_tenant.objects["users"].values() if u["userType"] == "Member" and u["givenName"]]
    assert Contact.objects.filter(msp=msp, m365_tenant=cipp_tenant).count() == len(members)
    one = members[0]
    contact = Contact.objects.get(msp=msp, m365_object_id=one["id"])
    assert (contact.first_name, contact.last_name, contact.email) == (one["givenName"], one["surname"], one["mail"])
    assert contact.source == Contact.Source.M365 and contact.m365_upn == one["userPrincipalName"]
    managed = list(emu_tenant.objects["managed"].values())
    assets = Asset.objects.filter(msp=msp, m365_tenant=cipp_tenant)
    assert assets.count() == len(managed)
    device = managed[0]
    asset = assets.get(intune_id=device["id"])
    assert (asset.name, asset.serial_number, asset.m365_object_id) == (device["deviceName"], device["serialNumber"], "")
    assert asset.is_compliant is (device["complianceState"] == "compliant")
    assert asset.contact == Contact.objects.filter(msp=msp, m365_upn__iexact=device["userPrincipalName"]).first()
    # Second sync: a user and a device left the tenant → deactivated (CIPP listings are always whole)
    emu_tenant.remove("users", one["id"])
    emu_tenant.remove("managed", device["id"])
    second = tenant_sync(msp=msp, tenant=cipp_tenant)
    assert second.status == SyncRun.Status.SUCCEEDED, second.error_message
    contact.refresh_from_db()
    asset.refresh_from_db()
    assert not contact.is_active and contact.m365_removed_reason == "not_in_tenant"
    assert not asset.is_active and asset.removed_reason == "not_in_intune"
    assert second.counts["contacts"]["deactivated"] == 1 and second.counts["assets"]["deactivated"] == 1


def test_cipp_429_is_retried_and_403_fails_the_run(msp, cipp_tenant, cipp_api, m365_emulator):
    m365_emulator.state.fault("cipp_ListUsers", 429, retry_after=0)
    run = tenant_sync(msp=msp, tenant=cipp_tenant)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert m365_emulator.state.counts["cipp_ListUsers"] == 2
    cipp_api.has_role = False
    failed = tenant_sync(msp=msp, tenant=cipp_tenant)
    assert failed.status == SyncRun.Status.FAILED and failed.error_code == "cipp_HTTP403"


def test_cipp_tenant_without_connection_fails_cleanly(msp, cipp_tenant):
    CippConnection.objects.filter(msp=msp).delete()
    run = tenant_sync(msp=msp, tenant=cipp_tenant)
    assert run.status == SyncRun.Status.FAILED and run.error_code == "cipp_not_connected"


# -- the settings pages ---------------------------------------------------------------------------
def test_settings_page_saves_tests_and_never_shows_the_secret(web, msp, m365_emulator, cipp_api, emu_tenant):
    from django.urls import reverse

    url = reverse("settings:cipp")
    assert web.get(url).status_code == 200
    data = {"base_url": m365_emulator.base_url, "tenant_id": cipp_api.tid, "client_id": cipp_api.client_id,
            "client_secret": "wrong", "action": "test"}
    response = web.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["client_secret"]  # at the field, not a 500
    data["client_secret"] = cipp_api.secret
    response = web.post(url, data)
    assert response.status_code == 302
    assert CippConnection.objects.get(msp=msp).status == CippConnection.Status.OK
    page = web.get(url).content.decode()
    assert cipp_api.secret not in page and "Connected" in page
    cipp_api.has_role = False  # 403: stays on the page with the error at the client id
    response = web.post(url, {**data, "client_secret": ""})
    assert response.status_code == 400 and "403" in response.context["form"].errors["client_id"][0]
    cipp_api.has_role = True  # no CIPP API at this URL: error at the URL field
    response = web.post(url, {**data, "client_secret": "", "base_url": m365_emulator.base_url + "/nothing"})
    assert response.status_code == 400 and response.context["form"].errors["base_url"]


def test_tenants_page_suggests_by_domain_and_links(web, msp, m365_client, emu_tenant, cipp_connection,
                                                   m365_emulator):
    from django.urls import reverse

    url = reverse("settings:cipp_tenants")
    assert web.get(url).context["rows"] == []  # nothing listed yet; a GET never calls CIPP
    assert web.post(url, {"action": "refresh"}).status_code == 302
    response = web.get(url)
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["tenant_id"] == emu_tenant.tid)
    assert row["suggestions"] == [m365_client]
    response = web.post(url, {"tenant_id": emu_tenant.tid, "client": m365_client.pk})
    assert response.status_code == 302
    tenant = M365Tenant.objects.get(msp=msp, tenant_id=emu_tenant.tid)
    assert tenant.source == M365Tenant.Source.CIPP and tenant.client == m365_client
    run = SyncRun.objects.filter(msp=msp, tenant=tenant).first()
    assert run is not None and run.trigger == SyncRun.Trigger.CONNECT
    assert "Linked to" in web.get(url).content.decode()
    m365_emulator.state.fault("cipp_ListTenants", 403)
    response = web.post(url, {"action": "refresh"})
    assert response.status_code == 400 and "403" in response.context["error"]
    response = web.post(url, {"tenant_id": "00000000-0000-0000-0000-000000000001", "client": m365_client.pk})
    assert response.status_code == 400 and "does not manage" in response.context["error"]
