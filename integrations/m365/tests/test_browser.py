"""The Microsoft 365 pages in Chromium (Playwright), against the HTTPS emulator and a
real Celery worker: connect a client's tenant through the emulator's admin-consent
page, watch the first sync and a "Sync with M365" run on the tab, find the synced
contacts and assets on the client; import a tenant as a new client; a declined
consent and a tenant whose consent was revoked. Screenshots: m365-*.png."""

from __future__ import annotations

import re

import pytest

from assets.models import Asset
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from integrations.m365.models import M365Tenant, SyncRun
from opsmerge.tenancy import msp_scope
from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DONE = re.compile(r"Succeeded|Failed|Skipped|Interrupted")


@pytest.fixture
def chromium_context_options():
    """Trust the emulator's self-signed certificate in the browser, which visits its
    consent page. OpsMerge itself still verifies it (M365_CA_BUNDLE)."""
    return {"ignore_https_errors": True}


@pytest.fixture
def m365_live(m365_emulator, settings, live_server, celery_worker):
    """The emulator's consent page redirects the browser back to the live server."""
    settings.M365_REDIRECT_URL = f"{live_server.url}/integrations/m365/callback/"
    return m365_emulator


def _tenant_status(page):
    return page.get_by_test_id("tenant-status").first


def _wait_run_finished(page, timeout=60_000):
    status = _tenant_status(page).get_by_test_id("run-status")
    status.filter(has_text=DONE).wait_for(timeout=timeout)
    return status.inner_text()


def _sync_now(page):
    """Click "Sync with M365" and wait for htmx to swap in the new run's status."""
    with page.expect_response(lambda response: response.url.endswith("/sync/")):
        page.get_by_test_id("sync-now").click()
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def _setup(m365_live, msp, *, client_name, tenant_name, domain, **seed):
    """A client owning `domain`, and an emulated tenant verified for it (plus its onmicrosoft domain)."""
    client = ClientFactory(msp=msp, name=client_name)
    ClientDomainFactory(msp=msp, client=client, domain=domain)
    emu = m365_live.state.add_tenant(tenant_name, [domain, f"{domain.split('.')[0]}.onmicrosoft.com"])
    emu.seed(**{"guests": 0, "disabled": 0, "service_accounts": 0, **seed})
    return client, emu


def test_connect_sync_and_see_contacts_and_assets(signed_in_page, m365_live):
    page = signed_in_page()
    msp = page.user.msp
    client, emu = _setup(m365_live, msp, client_name="Contoso Ltd", tenant_name="Contoso Ltd", domain="contoso.example",
                         users=12, devices=6, managed=4, service_accounts=1)  # svc-backup: skipped by default
    # The emulator's consent page lists every tenant: a second one shows the admin chooses.
    m365_live.state.add_tenant("Fabrikam Inc", ["fabrikam.example"]).seed(users=2)

    page.goto("/integrations/m365/")
    assert "No Microsoft 365 tenants yet" in page.content()
    screenshot(page, "m365-index-empty")

    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="Microsoft 365").click()
    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    assert "No Microsoft 365 tenant connected" in page.content()
    screenshot(page, "m365-tab-disconnected")

    page.get_by_role("button", name="Connect Microsoft 365").click()
    page.wait_for_url(re.compile(r"^https://127\.0\.0\.1:\d+/organizations/.*adminconsent"))
    screenshot(page, "m365-consent")
    # Hold the first sync on the device listing so the live progress bar can be seen.
    m365_live.state.fault("devices", "stall", seconds=3)
    page.get_by_role("link", name=re.compile(r"Accept as admin of Contoso Ltd")).click()

    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    assert "Connected Contoso Ltd." in page.locator(".toast").first.inner_text()
    card = page.get_by_test_id("tenant-card")
    assert card.get_by_test_id("consent-state").inner_text() == "Connected"
    assert card.get_by_test_id("verified-domains").inner_text().split() == [
        "contoso.example", "·", "default", "contoso.onmicrosoft.com"]
    assert emu.tid in card.inner_text()
    page.wait_for_function("() => +document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') > 0")
    assert _tenant_status(page).get_by_test_id("run-status").inner_text() == "Running"
    screenshot(page, "m365-sync-running")
    assert _wait_run_finished(page) == "Succeeded"
    assert page.get_by_test_id("count-contacts").inner_text() == "12 new"
    assert "1 skipped" in page.get_by_test_id("tenant-status").inner_text()
    screenshot(page, "m365-tab-connected")

    with msp_scope(msp):
        tenant = M365Tenant.objects.get(msp=msp, tenant_id=emu.tid)
        assert tenant.client_id == client.pk and tenant.display_name == "Contoso Ltd"
        assert Contact.objects.filter(msp=msp, client=client, m365_tenant=tenant).count() == 12
        assert Asset.objects.filter(msp=msp, client=client).count() == 6
        user = next(u for u in emu.objects["users"].values() if u["surname"])
        renamed = user["id"]
    # Microsoft changes one user; "Sync with M365" runs a delta on the worker.
    emu.update("users", renamed, jobTitle="Head of Browser Testing")
    m365_live.state.fault("users_delta", "stall", seconds=3)
    _sync_now(page)
    page.get_by_role("progressbar").wait_for()
    assert _tenant_status(page).get_by_test_id("run-status").inner_text() in ("Queued", "Running")
    screenshot(page, "m365-sync-delta-running")
    assert _wait_run_finished(page) == "Succeeded"
    assert "1 updated" in page.get_by_test_id("tenant-status").inner_text()
    screenshot(page, "m365-sync-done")

    history = page.get_by_test_id("run-history")  # refreshed with the live status, no reload
    assert history.locator("tbody tr").count() == 2
    assert history.locator("tbody tr").first.locator(".badge").inner_text() == "Succeeded"
    assert "Sync now" in history.inner_text() and "After connect" in history.inner_text()
    screenshot(page, "m365-history")
    with msp_scope(msp):
        assert list(SyncRun.objects.filter(msp=msp, tenant=tenant).values_list("status", flat=True)) == [
            "succeeded", "succeeded"]

    tabs = page.get_by_role("navigation", name="Client sections")
    tabs.get_by_role("link", name=re.compile(r"^Contacts")).click()
    page.wait_for_url(f"**/clients/{client.pk}/contacts/")
    assert f"{user['givenName']} {user['surname']}" in page.content()
    assert user["mail"] in page.content()
    screenshot(page, "m365-client-contacts")
    tabs.get_by_role("link", name=re.compile(r"^Assets")).click()
    page.wait_for_url(f"**/clients/{client.pk}/assets/")
    device = next(iter(emu.objects["devices"].values()))
    assert device["displayName"] in page.content()
    serial = next(m["serialNumber"] for m in emu.objects["managed"].values() if m["azureADDeviceId"] == device["deviceId"])
    assert serial in page.locator("tr", has_text=device["displayName"]).inner_text()  # Intune enrichment
    screenshot(page, "m365-client-assets")

    page.goto("/integrations/m365/")
    row = page.locator("tr", has_text="Contoso Ltd")
    assert "Connected" in row.inner_text() and "Succeeded" in row.inner_text()
    screenshot(page, "m365-index")


def test_import_tenant_as_a_new_client(signed_in_page, m365_live):
    page = signed_in_page()
    msp = page.user.msp
    existing, emu = _setup(m365_live, msp, client_name="Fabrikam (old record)", tenant_name="Fabrikam Inc",
                           domain="fabrikam.example", users=5, devices=2)

    page.goto("/integrations/m365/")
    page.get_by_role("button", name="Import from Microsoft 365").click()
    page.get_by_role("link", name=re.compile(r"Accept as admin of Fabrikam Inc")).click()
    page.wait_for_url(re.compile(r"/integrations/m365/tenants/\d+/import/$"))
    attach = page.locator("form", has_text="Attach to an existing client")
    assert "Fabrikam (old record)" in attach.inner_text()  # suggested by domain
    screenshot(page, "m365-import")

    taken = page.get_by_test_id("domain-taken").inner_text()
    assert "fabrikam.example already belongs to Fabrikam (old record)" in taken

    page.goto("/integrations/m365/")
    assert "Waiting for a client" in page.content()
    screenshot(page, "m365-index-waiting")
    page.get_by_role("link", name="Choose client…").click()
    page.fill("#imp-name", "Fabrikam Incorporated")
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url(re.compile(r"/integrations/m365/clients/\d+/$"))
    assert "now belongs to Fabrikam Incorporated" in page.locator(".toast").first.inner_text()
    assert _wait_run_finished(page) == "Succeeded"
    with msp_scope(msp):
        tenant = M365Tenant.objects.select_related("client").get(msp=msp, tenant_id=emu.tid)
        assert tenant.client.name == "Fabrikam Incorporated" and tenant.client_id != existing.pk
        assert not tenant.client.domains.exists()  # fabrikam.example stays with the old record
        assert Contact.objects.filter(msp=msp, client=tenant.client).count() == 5
    assert page.locator("h1").inner_text().startswith("Fabrikam Incorporated")


def test_declined_consent_and_revoked_consent_are_explained(signed_in_page, m365_live):
    page = signed_in_page()
    msp = page.user.msp
    client, emu = _setup(m365_live, msp, client_name="Northwind Traders", tenant_name="Northwind Traders",
                         domain="northwindtraders.example", users=3, devices=1)

    page.goto(f"/integrations/m365/clients/{client.pk}/")
    page.get_by_role("button", name="Connect Microsoft 365").click()
    page.get_by_role("link", name=re.compile(r"Cancel as admin of Northwind Traders")).click()
    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    toast = page.locator(".toast").first.inner_text()
    assert "Consent not granted" in toast and "AADSTS" not in toast
    with msp_scope(msp):
        assert not M365Tenant.objects.filter(msp=msp).exists()
    screenshot(page, "m365-consent-declined")

    page.get_by_role("button", name="Connect Microsoft 365").click()
    page.get_by_role("link", name=re.compile(r"Accept as admin of Northwind Traders")).click()
    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    assert _wait_run_finished(page) == "Succeeded"
    # The customer's admin removes OpsMerge's enterprise app: the next token request fails.
    emu.token_error = 700016
    m365_live.state.revoke_tokens(emu.tid)
    _sync_now(page)
    assert _wait_run_finished(page) == "Failed"
    page.reload()
    status = page.get_by_test_id("tenant-status")
    assert status.get_by_test_id("consent-state").inner_text() == "Reconnect required"
    error = status.get_by_test_id("health-alert").inner_text()
    assert "Ask a Global Administrator" in error and "AADSTS700016" in error  # friendly text + the code
    assert "Application with identifier" not in page.content()  # never Microsoft's error_description
    assert page.get_by_role("button", name="Reconnect").is_visible()
    screenshot(page, "m365-reconnect-required")

    page.get_by_role("button", name="Reconnect").click()
    page.get_by_role("link", name=re.compile(r"Accept as admin of Northwind Traders")).click()
    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    assert _wait_run_finished(page) == "Succeeded"
    assert page.get_by_test_id("consent-state").inner_text() == "Connected"
    assert page.get_by_test_id("health-alert").count() == 0
    with msp_scope(msp):
        assert M365Tenant.objects.filter(msp=msp).count() == 1  # the same tenant row, reconnected


def test_tenant_health_on_the_overview_and_the_customer_list(signed_in_page, m365_live):
    page = signed_in_page()
    msp = page.user.msp
    client, emu = _setup(m365_live, msp, client_name="Northwind Traders", tenant_name="Northwind Traders",
                         domain="northwindtraders.example", users=18, devices=4, managed=2)
    ClientFactory(msp=msp, name="Adatum Corp")  # no tenant: "No tenants"
    m365_live.state.consent_answer = (emu.tid, "accept")

    page.goto(f"/integrations/m365/clients/{client.pk}/")
    page.get_by_role("button", name="Connect Microsoft 365").click()
    page.wait_for_url(f"**/integrations/m365/clients/{client.pk}/")
    assert _wait_run_finished(page) == "Succeeded"

    page.goto(f"/clients/{client.pk}/")
    licensed = sum(1 for u in emu.objects["users"].values() if u.get("assignedLicenses"))
    assert page.get_by_test_id("m365-users").locator(".stat-value").inner_text() == str(licensed)
    assert "Microsoft 365 Business Premium" in page.get_by_test_id("m365-licences-table").inner_text()
    score = page.get_by_test_id("m365-score").locator(".stat-value").inner_text()
    assert re.fullmatch(r"\d+%", score)
    assert page.get_by_test_id("m365-score-card").locator("svg.trend polyline").count() == 1
    screenshot(page, "m365-health-overview")

    page.goto("/clients/?sort=-m365_health")
    row = page.locator("tr", has_text="Northwind Traders")
    assert row.locator(".badge", has_text=re.compile("Healthy|Attention|Critical")).count() == 1
    assert str(licensed) in row.inner_text()
    assert "No tenants" in page.locator("tr", has_text="Adatum Corp").inner_text()
    screenshot(page, "m365-health-list")

    # The admin removes SecurityEvents.Read.All from the app: the next read says what to add.
    emu.roles.discard("SecurityEvents.Read.All")
    m365_live.state.revoke_tokens(emu.tid)
    page.goto(f"/integrations/m365/clients/{client.pk}/")
    _sync_now(page)
    assert _wait_run_finished(page) == "Succeeded"
    page.goto(f"/clients/{client.pk}/")
    card = page.get_by_test_id("m365-score-card")
    assert "Not granted" in card.inner_text() and "SecurityEvents.Read.All" in card.inner_text()
    assert page.get_by_test_id("m365-score").locator(".stat-value").inner_text() == "Not granted"
    screenshot(page, "m365-health-not-granted")
