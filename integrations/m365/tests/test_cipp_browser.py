"""CIPP in Chromium (Playwright), against the emulator's CIPP-API and a real Celery
worker: Settings → CIPP, save and test the connection (a wrong secret first), list
CIPP's tenants, link the domain-matched one to its client, and see the first sync
bring its users in. Screenshots: cipp-*.png."""

from __future__ import annotations

import re

import pytest

from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from integrations.m365.models import M365Tenant
from opsmerge.tenancy import msp_scope
from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_context_options():
    return {"ignore_https_errors": True}


def test_connect_cipp_link_a_tenant_and_sync(signed_in_page, m365_emulator, live_server, celery_worker):
    page = signed_in_page()
    msp = page.user.msp
    client = ClientFactory(msp=msp, name="Contoso Ltd")
    ClientDomainFactory(msp=msp, client=client, domain="contoso.example")
    emu = m365_emulator.state.add_tenant("Contoso Ltd", ["contoso.example", "contoso.onmicrosoft.com"])
    emu.seed(users=8, devices=3, managed=2, guests=0, disabled=0, service_accounts=1)
    api = m365_emulator.state.add_cipp()

    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("CIPP")).first.click()
    page.wait_for_url("**/settings/cipp/")
    page.get_by_label("CIPP URL").fill(m365_emulator.base_url)
    page.get_by_label("Entra tenant id").fill(api.tid)
    page.get_by_label("Client id").fill(api.client_id)
    page.get_by_label("Client secret").fill("not-the-secret")
    page.get_by_role("button", name="Save and test connection").click()
    assert "refused" in page.locator(".field-error").first.inner_text().lower()
    screenshot(page, "cipp-settings-error")

    page.get_by_label("Client secret").fill(api.secret)
    page.get_by_role("button", name="Save and test connection").click()
    page.get_by_test_id("cipp-status").filter(has_text="Connected").wait_for()
    assert api.secret not in page.content()
    screenshot(page, "cipp-settings-connected")

    page.get_by_role("link", name="Tenants").click()
    page.get_by_role("button", name="Refresh from CIPP").click()
    row = page.locator("tr", has_text="Contoso Ltd").filter(has=page.get_by_role("button", name="Link"))
    assert "Contoso Ltd (domain match)" in row.locator("select").inner_text()
    screenshot(page, "cipp-tenants")
    row.get_by_role("button", name="Link").click()
    page.get_by_text("Linked to").first.wait_for()
    screenshot(page, "cipp-tenants-linked")

    with msp_scope(msp):
        tenant = M365Tenant.objects.get(msp=msp, tenant_id=emu.tid)
        assert tenant.source == M365Tenant.Source.CIPP and tenant.client_id == client.pk
    page.goto(f"/integrations/m365/clients/{client.pk}/")
    page.get_by_test_id("run-status").filter(has_text=re.compile("Succeeded")).first.wait_for(timeout=60_000)
    screenshot(page, "cipp-client-synced")
    with msp_scope(msp):
        assert Contact.objects.filter(msp=msp, client=client, m365_tenant=tenant).count() == 8
