"""The PSA walk in Chromium (Playwright), against the ConnectWise emulator and a real
Celery worker: Settings → PSA → Connect (a wrong key first), the first read of the
PSA's companies, the match review (confirm the domain/name matches, import the rest),
finish, sync both ways, and a conflict shown with both values. Screenshots: psa-*.png."""

from __future__ import annotations

import re

import pytest

from clients.models import Client
from clients.tests.factories import ClientDomainFactory, ClientFactory
from integrations.psa.emulator.common import seed_demo
from integrations.psa.models import Conflict
from opsmerge.tenancy import msp_scope
from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium_context_options():
    return {"ignore_https_errors": True}


def _wait_run(page, text="Succeeded"):
    """The worker finishes the queued run; the page shows it after a reload."""
    for _ in range(120):
        if "Queued" not in page.get_by_test_id("psa-runs").inner_text() and \
                "Running" not in page.get_by_test_id("psa-runs").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    page.get_by_test_id("psa-runs").get_by_text(text).first.wait_for()


def test_connect_review_sync_and_conflict(signed_in_page, psa_emulator, live_server, celery_worker):
    page = signed_in_page()
    msp = page.user.msp
    cw = psa_emulator["connectwise"]
    seed_demo(cw.product)
    contoso = ClientFactory(msp=msp, name="Contoso Group")
    ClientDomainFactory(msp=msp, client=contoso, domain="contoso.example")
    ClientFactory(msp=msp, name="Fabrikam Inc")
    ClientFactory(msp=msp, name="Local Bakery", city="York")

    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("PSA")).first.click()
    page.wait_for_url("**/settings/psa/")
    screenshot(page, "psa-index")
    page.get_by_test_id("connect-connectwise").click()
    page.get_by_label("API URL").fill(cw.base_url)
    for name, label in (("company_id", "Company ID"), ("public_key", "Public key"), ("client_id", "Client ID")):
        page.get_by_label(label).fill(cw.credentials[name])
    page.get_by_label("Private key").fill("not-the-key")
    page.get_by_role("button", name=re.compile("Connect and read")).click()
    assert "refused" in page.content()
    screenshot(page, "psa-connect-refused")
    page.get_by_label("Private key").fill(cw.credentials["private_key"])
    page.get_by_role("button", name=re.compile("Connect and read")).click()
    page.get_by_test_id("psa-status").filter(has_text="Connected").wait_for()
    assert cw.credentials["private_key"] not in page.content()
    _wait_run(page)

    page.get_by_role("link", name=re.compile("Match review")).first.click()
    table = page.get_by_test_id("review-table")
    table.get_by_text("same domain").wait_for()
    assert "Contoso Group" in table.inner_text() and "Fabrikam Inc" in table.inner_text()
    screenshot(page, "psa-review-suggested")
    page.get_by_test_id("confirm-all").click()
    page.get_by_test_id("review-tab-unmatched").click()
    screenshot(page, "psa-review-unmatched")
    page.get_by_test_id("import-all").click()
    page.locator("tr", has_text="Local Bakery").get_by_test_id("push-client").click()
    page.get_by_text(re.compile("Local Bakery created in ConnectWise")).wait_for()
    page.get_by_test_id("finish-review").click()
    page.wait_for_url(re.compile(r"/settings/psa/\d+/$"))
    _wait_run(page)
    with msp_scope(msp):
        assert Client.objects.filter(msp=msp, psa_id__gt="").count() == 8

    # Both sides change Contoso's phone: a conflict, nothing overwritten.
    with msp_scope(msp):
        contoso.refresh_from_db()
        contoso.phone_number = "2075550111"
        contoso.save()
    cw.product.advance_clock(5)
    cw.product.edit_company(contoso.psa_id, phone="020 7555 0999")
    page.get_by_test_id("psa-sync-now").click()
    _wait_run(page)
    page.get_by_test_id("conflicts-link").filter(has_text="1").wait_for()
    page.get_by_test_id("conflicts-link").click()
    row = page.get_by_test_id("conflict-row").first
    assert "2075550111" in row.inner_text() and "02075550999" in row.inner_text()
    screenshot(page, "psa-conflicts")
    row.get_by_role("button", name=re.compile("Keep OpsMerge")).click()
    page.get_by_text("No conflicts").wait_for()
    with msp_scope(msp):
        assert not Conflict.objects.filter(msp=msp, state="open").exists()

    page.goto("/clients/")
    page.get_by_role("link", name=re.compile(rf"ConnectWise #{contoso.psa_id}")).wait_for()
    screenshot(page, "psa-client-list")
    page.goto(f"/clients/{contoso.pk}/psa/")
    screenshot(page, "psa-client-tab")
