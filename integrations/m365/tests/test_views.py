"""The consent round trip and the client's Microsoft 365 tab, through Django's test
client and the emulator's admin-consent endpoint."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from accounts.roles import Role
from clients.models import Client
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.sync import tenant_sync
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def _consent(web, emulator, start_url: str, answer):
    """POST Connect/Import, let the emulated admin answer, return the callback response."""
    emulator.state.consent_answer = answer
    response = web.post(start_url)
    assert response.status_code == 302
    consent = urlsplit(response["Location"])
    assert consent.path == "/organizations/v2.0/adminconsent"
    query = parse_qs(consent.query)
    assert query["scope"] == ["https://graph.microsoft.com/.default"] and query["state"][0]
    session = requests.Session()
    session.trust_env = False
    back = session.get(response["Location"], verify=str(emulator.ca_path), allow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return web.get(f"{callback.path}?{callback.query}")


def test_connect_round_trip_stores_verified_tenant_and_queues_first_sync(web, msp, m365_client, emu_tenant,
                                                                         m365_emulator):
    response = _consent(web, m365_emulator, reverse("m365:connect", kwargs={"client_pk": m365_client.pk}),
                        (emu_tenant.tid, "accept"))
    assert response.status_code == 302
    assert response["Location"] == reverse("m365:client_tenants", kwargs={"client_pk": m365_client.pk})
    with msp_scope(msp):
        tenant = M365Tenant.objects.get(msp=msp, tenant_id=emu_tenant.tid)
        assert tenant.client == m365_client and tenant.display_name == "Contoso Ltd"
        assert tenant.consent_state == M365Tenant.ConsentState.CONNECTED
        assert {d["name"] for d in tenant.verified_domains} == {"contoso.example", "contoso.onmicrosoft.com"}
        assert SyncRun.objects.get(msp=msp, tenant=tenant).trigger == SyncRun.Trigger.CONNECT
    assert m365_emulator.state.counts["organization"] == 1  # proven through /organization


def test_declined_consent_stays_disconnected(web, msp, m365_client, emu_tenant, m365_emulator):
    response = _consent(web, m365_emulator, reverse("m365:connect", kwargs={"client_pk": m365_client.pk}),
                        (emu_tenant.tid, "decline"))
    assert response.status_code == 302
    page = web.get(response["Location"])
    body = page.content.decode()
    assert "Consent not granted (consent_required)" in body
    assert "AADSTS65004" not in body and "declined to consent" not in body  # never Microsoft's description
    with msp_scope(msp):
        assert not M365Tenant.objects.filter(msp=msp).exists()


def test_callback_with_unknown_or_reused_state_is_400(web, msp, m365_client, emu_tenant, m365_emulator):
    forged = web.get(reverse("m365:callback"), {"admin_consent": "True", "tenant": emu_tenant.tid, "state": "x"})
    assert forged.status_code == 400
    m365_emulator.state.consent_answer = (emu_tenant.tid, "accept")
    start = web.post(reverse("m365:connect", kwargs={"client_pk": m365_client.pk}))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    params = {"admin_consent": "True", "tenant": emu_tenant.tid, "state": state}
    assert web.get(reverse("m365:callback"), params).status_code == 302
    assert web.get(reverse("m365:callback"), params).status_code == 400  # single use


def test_state_from_another_session_is_rejected(client, make_user, web, msp, m365_client, emu_tenant):
    start = web.post(reverse("m365:connect", kwargs={"client_pk": m365_client.pk}))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    from django.test import Client as TestClient

    other = TestClient()
    other.force_login(make_user(role=Role.ADMIN, email="other-admin@northwind.example"))
    response = other.get(reverse("m365:callback"), {"admin_consent": "True", "tenant": emu_tenant.tid, "state": state})
    assert response.status_code == 400


def test_forged_tenant_id_is_not_stored(web, msp, m365_client, emu_tenant, m365_emulator):
    """The callback's tenant is only a claim: an unknown one fails the /organization proof."""
    start = web.post(reverse("m365:connect", kwargs={"client_pk": m365_client.pk}))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = web.get(reverse("m365:callback"), {"admin_consent": "True", "state": state,
                                                  "tenant": "0b5c2d3e-1111-4222-8333-944445555666"})
    assert response.status_code == 302
    assert "Tenant not found" in web.get(response["Location"]).content.decode()
    with msp_scope(msp):
        assert not M365Tenant.objects.filter(msp=msp).exists()


def test_import_creates_client_from_organisation(web, msp, m365_emulator):
    emu = m365_emulator.state.add_tenant("Fabrikam Inc", ["fabrikam.example", "fabrikam.onmicrosoft.com"])
    response = _consent(web, m365_emulator, reverse("m365:import_start"), (emu.tid, "accept"))
    with msp_scope(msp):
        tenant = M365Tenant.objects.get(msp=msp, tenant_id=emu.tid)
    assert tenant.client_id is None
    assert response["Location"] == reverse("m365:tenant_import", kwargs={"tenant_pk": tenant.pk})
    assert "Fabrikam Inc" in web.get(reverse("m365:index")).content.decode()
    done = web.post(response["Location"], {"action": "create", "name": "Fabrikam"})
    assert done.status_code == 302
    with msp_scope(msp):
        client = Client.objects.get(msp=msp, name="Fabrikam")
        assert list(client.domains.values_list("domain", flat=True)) == ["fabrikam.example"]
        tenant.refresh_from_db()
        assert tenant.client == client
        assert SyncRun.objects.filter(msp=msp, tenant=tenant, status=SyncRun.Status.QUEUED).exists()


def test_import_suggests_and_attaches_to_client_with_matching_domain(web, msp, m365_emulator):
    with msp_scope(msp):
        existing = ClientFactory(msp=msp, name="Contoso (existing)")
        ClientDomainFactory(msp=msp, client=existing, domain="contoso.example")
        ClientFactory(msp=msp, name="Unrelated Ltd")
    emu = m365_emulator.state.add_tenant("Contoso Ltd", ["contoso.example", "contoso.onmicrosoft.com"])
    response = _consent(web, m365_emulator, reverse("m365:import_start"), (emu.tid, "accept"))
    page = web.get(response["Location"]).content.decode()
    assert "Suggested by matching domains" in page and "Contoso (existing)" in page
    web.post(response["Location"], {"action": "attach", "client": existing.pk, "client_other": ""})
    with msp_scope(msp):
        assert M365Tenant.objects.get(msp=msp, tenant_id=emu.tid).client == existing


def test_client_tab_shows_tenants_health_and_history(web, msp, connected, m365_client):
    with msp_scope(msp):
        tenant_sync(msp=msp, tenant=connected)
    page = web.get(reverse("m365:client_tenants", kwargs={"client_pk": m365_client.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Contoso Ltd" in body and "Connected" in body and 'data-testid="run-history"' in body
    assert "Microsoft 365" in body  # the tab itself
    status = web.get(reverse("m365:tenant_status", kwargs={"tenant_pk": connected.pk}))
    assert 'data-testid="run-status"' in status.content.decode() and "hx-trigger" not in status.content.decode()


def test_sync_button_queues_one_run_and_polls(web, msp, connected):
    url = reverse("m365:tenant_sync", kwargs={"tenant_pk": connected.pk})
    first = web.post(url, HTTP_HX_REQUEST="true")
    second = web.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert 'hx-trigger="every 1s"' in first.content.decode()  # live progress while queued/running
    with msp_scope(msp):
        assert SyncRun.objects.filter(msp=msp, tenant=connected, status=SyncRun.Status.QUEUED).count() == 1


def test_disconnect_keeps_synced_records(web, msp, connected):
    with msp_scope(msp):
        tenant_sync(msp=msp, tenant=connected)
        synced = Contact.objects.filter(msp=msp, m365_tenant=connected).count()
    web.post(reverse("m365:tenant_disconnect", kwargs={"tenant_pk": connected.pk}))
    with msp_scope(msp):
        connected.refresh_from_db()
        assert connected.consent_state == M365Tenant.ConsentState.DISCONNECTED
        assert Contact.objects.filter(msp=msp, m365_tenant=connected).count() == synced > 0
    response = web.post(reverse("m365:tenant_sync", kwargs={"tenant_pk": connected.pk}))
    assert response.status_code == 302
    with msp_scope(msp):
        assert not SyncRun.objects.filter(msp=msp, status=SyncRun.Status.QUEUED).exists()


def test_settings_toggles(web, msp, connected):
    web.post(reverse("m365:tenant_settings", kwargs={"tenant_pk": connected.pk}),
             {"sync_users": "on", "include_guests": "on"})
    with msp_scope(msp):
        connected.refresh_from_db()
    assert (connected.sync_users, connected.sync_devices, connected.sync_intune, connected.include_guests) == (
        True, False, False, True)


def test_technicians_sync_but_cannot_connect(login, make_user, msp, connected, m365_client):
    tech = login(make_user(role=Role.TECHNICIAN))
    assert tech.post(reverse("m365:connect", kwargs={"client_pk": m365_client.pk})).status_code == 403
    assert tech.post(reverse("m365:tenant_disconnect", kwargs={"tenant_pk": connected.pk})).status_code == 403
    assert tech.post(reverse("m365:tenant_sync", kwargs={"tenant_pk": connected.pk})).status_code == 302
    read_only = login(make_user(role=Role.READ_ONLY, email="ro@northwind.example"))
    assert read_only.post(reverse("m365:tenant_sync", kwargs={"tenant_pk": connected.pk})).status_code == 403
    assert read_only.get(reverse("m365:client_tenants", kwargs={"client_pk": m365_client.pk})).status_code == 200


def test_archived_client_cannot_connect(web, msp):
    from django.utils import timezone

    with msp_scope(msp):
        archived = ClientFactory(msp=msp, status="archived", archived_at=timezone.now())
    response = web.post(reverse("m365:connect", kwargs={"client_pk": archived.pk}))
    assert response.status_code == 302 and "adminconsent" not in response["Location"]
