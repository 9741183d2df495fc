"""Archive → restore, permanent delete's typed-name gate (and its step-up), and the merge flow (real
Celery worker) in Chromium, with screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory
from clients.models import Client, ClientMerge
from clients.tests.factories import ClientFactory
from opsmerge.tenancy import unscoped
from testing.browser import screenshot
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def root_page(signed_in_page):
    msp = MspFactory(name="Northwind IT", slug="northwind-life")
    user = UserFactory(msp=msp, role=Role.SUPER_ADMIN, email="root@northwind.example", full_name="Sam Super")
    page = signed_in_page(user)
    page.on("dialog", lambda dialog: dialog.accept())
    return page, msp


def status_of(pk):
    with unscoped("test check"):
        return Client.objects.filter(pk=pk).values_list("status", flat=True).first()


def test_archive_then_restore(root_page):
    page, msp = root_page
    client = ClientFactory(msp=msp, name="Globex Corporation")
    page.goto(f"/clients/{client.pk}/archive/")
    page.fill("#reason", "Contract ended in March")
    page.click("button:has-text('Archive client')")
    page.wait_for_url("**/clients/archived/")
    row = page.locator(f"tr[data-client='{client.pk}']")
    assert "Contract ended in March" in row.inner_text()
    screenshot(page, "lifecycle-archived-list")
    assert status_of(client.pk) == "archived"
    row.locator("button:has-text('Restore')").click()
    page.wait_for_load_state()
    assert "Restored Globex Corporation" in page.content()
    assert status_of(client.pk) == "active"


def test_delete_button_waits_for_the_exact_name(root_page):
    page, msp = root_page
    client = ClientFactory(msp=msp, name="Initech Ltd", status="archived", archived_at="2026-01-01T00:00:00Z")
    TicketFactory(msp=msp, client=client)
    page.goto(f"/clients/{client.pk}/delete/")
    button = page.locator("button[data-typed-submit]")
    assert button.is_disabled()
    page.fill("#typed_name", "initech ltd")
    assert button.is_disabled()
    page.fill("#typed_name", "Initech Ltd")
    assert button.is_enabled()
    screenshot(page, "lifecycle-delete-confirm")
    button.click()
    # step-up (issue 13): the password again, then the suspended delete goes on
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/clients/archived/")
    assert status_of(client.pk) is None


def test_merge_flow_with_undo(root_page, celery_worker):
    page, msp = root_page
    target = ClientFactory(msp=msp, name="Acme Tech")
    source = ClientFactory(msp=msp, name="ACME-Tech Limited", industry="Legal")
    TicketFactory.create_batch(3, msp=msp, client=source)
    page.goto(f"/clients/merge/?ids={target.pk}&ids={source.pk}")
    assert "What moves into Acme Tech" in page.content()
    page.check(f"input[name='field_industry'][value='{source.pk}']")
    screenshot(page, "merge-preview")
    page.click("button:has-text('Merge')")
    page.wait_for_selector("#merge-progress[data-status='done']", timeout=30_000)
    screenshot(page, "merge-done")
    with unscoped("test check"):
        assert Client.objects.get(pk=source.pk).merged_into_id == target.pk
        assert Client.objects.get(pk=target.pk).industry == "Legal"
    page.goto(f"/clients/{source.pk}/")  # the old URL redirects
    assert page.url.endswith(f"/clients/{target.pk}/")
    with unscoped("test check"):
        merge = ClientMerge.objects.get()
    page.goto(f"/clients/merges/{merge.pk}/")
    page.click("button:has-text('Undo merge')")
    page.wait_for_selector("#merge-progress[data-status='undone']")
    screenshot(page, "merge-undone")
    assert status_of(source.pk) == "active"
