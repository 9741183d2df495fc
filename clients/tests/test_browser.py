"""The technician web app in Chromium (Playwright): the journeys issue 3 lists, plus
screenshots of every main page into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.tests.factories import TechGroupFactory, UserFactory
from assets.tests.factories import AssetFactory
from billing.tests.factories import ContractFactory, ContractTemplateFactory, InvoiceFactory
from clients.models import Client, ClientTag
from clients.tests.factories import ClientDomainFactory, ClientFactory, CustomFieldFactory, TagFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import unscoped
from sites.tests.factories import SiteFactory
from testing.browser import screenshot
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tag(msp, client, name):
    tag = TagFactory(msp=msp, name=name) if not _tag_exists(msp, name) else _tag_get(msp, name)
    with unscoped("test setup"):
        ClientTag.objects.create(msp=msp, client=client, tag=tag)


def _tag_exists(msp, name):
    from clients.models import Tag

    with unscoped("test setup"):
        return Tag.objects.filter(msp=msp, name=name).exists()


def _tag_get(msp, name):
    from clients.models import Tag

    with unscoped("test setup"):
        return Tag.objects.get(msp=msp, name=name)


def test_create_client_through_the_seed_004_form(signed_in_page, live_server):
    page = signed_in_page()
    msp = page.user.msp
    TechGroupFactory(msp=msp, name="Service desk")
    UserFactory(msp=msp, full_name="Tom Tech", email="tom@northwind.example")
    CustomFieldFactory(msp=msp, key="tier", label="Support tier", field_type="choice", choices=["Gold", "Silver"])

    page.goto("/clients/new/")
    page.fill("#id_name", "Contoso Legal LLP")
    page.fill("#id_industry", "Legal")
    page.fill("#id_phone_country_code", "44")
    page.fill("#id_phone_number", "2079460000")
    page.fill("#id_tags", "tier:gold, vertical:legal")
    page.fill("#id_contact_first_name", "Carla")
    page.fill("#id_contact_last_name", "Counsel")
    page.fill("#id_contact_email", "carla@contoso-legal.example")
    page.fill("#id_site_name", "London office")
    page.fill("#id_street", "1 Fleet Street")
    page.fill("#id_city", "London")
    page.select_option("#id_country", "GB")
    page.wait_for_function("document.querySelectorAll('#id_state option').length > 10")  # htmx loaded the regions
    page.select_option("#id_state", "GB-LND")
    page.select_option("#id_time_zone", "Europe/London")
    page.fill("#id_holidays", "2026-12-25 Christmas Day")
    page.fill("#id_domains", "contoso-legal.example")
    page.select_option("#id_account_manager", label="Tom Tech")
    page.check("text=Service desk")
    page.select_option("#id_cf_tier", "Gold")
    screenshot(page, "client-new-form")
    page.click("button:has-text('Create client')")

    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    assert page.locator("h1").inner_text().startswith("Contoso Legal LLP")
    assert page.locator(".toast").first.inner_text().startswith("Client Contoso Legal LLP created")
    with unscoped("assert"):
        client = Client.objects.get(msp=msp, name="Contoso Legal LLP")
        assert client.custom_fields == {"tier": "Gold"}
        assert client.state == "GB-LND" and client.account_manager.full_name == "Tom Tech"
        assert client.sites.get().is_hq
        assert client.contacts.get().is_primary
        assert client.business_hours.count() == 5 and client.holidays.count() == 1
    assert "Support tier" in page.content() and "Carla Counsel" in page.content()
    screenshot(page, "client-overview")


def test_new_client_form_shows_errors_at_the_field(signed_in_page):
    page = signed_in_page()
    page.goto("/clients/new/")
    page.fill("#id_name", "No Contact Ltd")
    page.fill("#id_contact_email", page.user.email)  # the technician's own sign-in email
    page.click("button:has-text('Create client')")
    assert page.locator(".field.has-error").count() >= 3
    email_field = page.locator(".field.has-error").filter(has=page.locator("#id_contact_email"))
    assert "not your own sign-in email" in email_field.inner_text()
    screenshot(page, "client-new-form-errors")


def test_add_contacts_and_make_one_primary(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    client = ClientFactory(msp=msp, name="Fabrikam Ltd")
    first = ContactFactory(msp=msp, client=client, first_name="Pat", last_name="Primary", is_primary=True)

    page.goto(f"/clients/{client.pk}/contacts/")
    page.click("text=New contact")
    assert page.locator("#id_client").input_value() == str(client.pk)
    page.fill("#id_first_name", "Sam")
    page.fill("#id_last_name", "Second")
    page.fill("#id_email", "sam@fabrikam.example")
    page.check("#id_is_vip")
    page.click("button:has-text('Create contact')")
    page.wait_for_url(f"**/clients/{client.pk}/contacts/")
    row = page.locator("tr", has_text="Sam Second")
    assert "VIP" in row.inner_text()
    row.locator("button:has-text('Make primary')").click()
    page.wait_for_url(f"**/clients/{client.pk}/contacts/")
    assert page.locator("tr", has_text="Sam Second").locator(".badge-accent", has_text="Primary").count() == 1
    assert page.locator("tr", has_text="Pat Primary").locator(".badge-accent", has_text="Primary").count() == 0
    with unscoped("assert"):
        assert list(Contact.objects.filter(client=client, is_primary=True).values_list("last_name", flat=True)) == [
            "Second"]
        first.refresh_from_db()
        assert not first.is_primary
    screenshot(page, "client-contacts-tab")


def test_filter_by_tag_and_bulk_tag_everything_matching(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    silver = [ClientFactory(msp=msp, name=f"Silver {i}") for i in range(3)]
    other = ClientFactory(msp=msp, name="Gold One")
    for client in silver:
        _tag(msp, client, "tier:silver")
    _tag(msp, other, "tier:gold")

    page.goto("/clients/?tag=tier:silver&per_page=2")
    assert page.locator("tbody tr").count() == 2
    page.check("[data-select-page]")
    page.click("[data-select-all-matching]")
    assert "3 selected" in page.locator("[data-bulk-count]").inner_text()
    page.click("[data-bulk-bar] button[value=tag_add]")
    assert page.locator("[data-confirm-count]").get_attribute("data-confirm-count") == "3"
    page.fill("#id_tags", "migration-2026")
    screenshot(page, "clients-bulk-confirm")
    page.click("button:has-text('Add tags (3)')")
    page.wait_for_url(re.compile(r"/clients/\?"))
    assert "Added migration-2026 to 3 clients" in page.locator(".toast").first.inner_text()
    with unscoped("assert"):
        tagged = set(ClientTag.objects.filter(msp=msp, tag__name="migration-2026").values_list("client__name", flat=True))
    assert tagged == {"Silver 0", "Silver 1", "Silver 2"}  # only the filtered set, not Gold One


def test_export_the_filtered_clients(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    ClientFactory(msp=msp, name="=cmd|' /C calc'!A0 Corp")
    ClientFactory(msp=msp, name="Plain Corp")
    page.goto("/clients/?q=corp")
    page.check("[data-select-page]")
    page.click("[data-bulk-bar] button[value=export]")
    page.check("input[name=fmt][value=csv]")
    with page.expect_download() as info:
        page.click("button:has-text('Export (2)')")
    content = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "Plain Corp" in content
    assert "'=cmd" in content  # formula injection neutralised


def test_search_with_slash_shortcut(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    acme = ClientFactory(msp=msp, name="Acme Widgets")
    ClientDomainFactory(msp=msp, client=acme, domain="acme-widgets.example")
    ContactFactory(msp=msp, client=acme, first_name="Wendy", last_name="Widget", email="wendy@acme-widgets.example")
    AssetFactory(msp=msp, client=acme, name="ACME-LT-7", serial_number="WIDG3T77")
    page.goto("/clients/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("widg")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=widg")
    body = page.locator("main").inner_text()
    assert "Acme Widgets" in body and "Wendy Widget" in body and "ACME-LT-7" in body
    screenshot(page, "search-results")


def test_read_only_user_sees_no_edit_controls(signed_in_page):
    from accounts.roles import Role

    admin_page = signed_in_page()
    msp = admin_page.user.msp
    client = ClientFactory(msp=msp, name="Readonly Co")
    reader = UserFactory(msp=msp, role=Role.READ_ONLY, email="reader@northwind.example", full_name="Rita Reader")
    page = signed_in_page(reader)
    page.goto("/clients/")
    assert page.locator("text=New client").count() == 0
    assert page.locator("[data-select-page]").count() == 1  # export is allowed to everyone
    page.goto(f"/clients/{client.pk}/")
    assert page.locator("a:has-text('Edit')").count() == 0
    response = page.request.get(f"/clients/{client.pk}/edit/")
    assert response.status == 403


def test_screenshots_of_every_main_page(signed_in_page):
    """A populated MSP; every main page rendered and saved for review."""
    page = signed_in_page()
    msp = page.user.msp
    manager = UserFactory(msp=msp, full_name="Tom Tech", email="tom@northwind.example")
    template = ContractTemplateFactory(msp=msp, name="Managed Gold")
    CustomFieldFactory(msp=msp, key="tier", label="Support tier", field_type="choice", choices=["Gold", "Silver"])
    TechGroupFactory(msp=msp, name="Service desk")
    names = ["Contoso Legal LLP", "Fabrikam Manufacturing", "Northwind Traders", "Tailspin Toys", "Wide World Importers",
             "Adventure Works Cycles", "Litware Inc", "Proseware Health"]
    for i, name in enumerate(names):
        client = ClientFactory(msp=msp, name=name, industry=["Legal", "Manufacturing", "Retail"][i % 3],
                               account_manager=manager, status="lead" if i == 6 else "active",
                               custom_fields={"tier": "Gold" if i % 2 else "Silver"})
        slug = name.split()[0].lower()
        ClientDomainFactory(msp=msp, client=client, domain=f"{slug}.example")
        _tag(msp, client, "tier:gold" if i % 2 else "tier:silver")
        site = SiteFactory(msp=msp, client=client, name="Head office", is_hq=True, city="London")
        for j in range(3):
            contact = ContactFactory(msp=msp, client=client, first_name=["Ana", "Ben", "Cleo"][j],
                                     last_name=f"{slug.capitalize()}", email=f"{['ana', 'ben', 'cleo'][j]}@{slug}.example",
                                     is_primary=j == 0, is_vip=j == 1, is_portal_user=j == 2, job_title="Office manager")
            AssetFactory(msp=msp, client=client, site=site, contact=contact, name=f"{slug.upper()}-LT-{j:02d}",
                         serial_number=f"SN{i}{j}00")
        for k in range(i % 4):
            TicketFactory(msp=msp, client=client, subject=f"Printer offline #{k}", site=site)
        if i % 3 != 2:
            ContractFactory(msp=msp, client=client, template=template, name="Managed Gold")
        InvoiceFactory(msp=msp, client=client, number=f"INV-{1000 + i}")
    ContactFactory(msp=msp, client=None, first_name="Victor", last_name="Vendor", email="victor@vendor.example")
    with unscoped("test setup"):
        first = Client.objects.get(msp=msp, name=names[0])
    from clients.services import client_update
    from contacts.services import contact_make_primary
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):  # some real activity, recorded by the services
        client_update(msp=msp, client=first, actor=page.user, industry="Legal services", phone_country_code="44",
                      phone_number="2079460000", notes="Key holder: reception.")
        contact_make_primary(msp=msp, contact=Contact.objects.get(msp=msp, client=first, first_name="Ben"),
                             actor=page.user)

    pages = {
        "clients-list": "/clients/",
        "client-overview-populated": f"/clients/{first.pk}/",
        "client-contacts": f"/clients/{first.pk}/contacts/",
        "client-sites": f"/clients/{first.pk}/sites/",
        "client-assets": f"/clients/{first.pk}/assets/",
        "client-tickets": f"/clients/{first.pk}/tickets/",
        "client-billing": f"/clients/{first.pk}/billing/",
        "client-documents": f"/clients/{first.pk}/documents/",
        "client-activity": f"/clients/{first.pk}/activity/",
        "client-edit": f"/clients/{first.pk}/edit/",
        "contacts-list": "/contacts/",
        "contacts-grouped": "/contacts/?view=grouped",
        "contact-new": "/contacts/new/",
        "sites-list": "/sites/",
        "assets-list": "/assets/",
        "activity": "/activity/",
        "settings": "/settings/",
        "settings-custom-fields": "/settings/custom-fields/",
        "settings-tech-groups": "/settings/tech-groups/",
        "search-empty": "/search/?q=zzzz",
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{url} answered {response.status}"
        screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/clients/")
    screenshot(page, "clients-list-mobile", full_page=False)


# ---------------------------------------------------------------- lifecycle and merge, from the UI


def _row(page, name):
    return page.locator("tbody tr", has_text=name)


def test_archive_from_the_client_page_and_restore_from_show_archived(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    page.on("dialog", lambda dialog: dialog.accept())  # the danger zone's "Archive …?" confirm
    globex = ClientFactory(msp=msp, name="Globex Corporation")
    ClientFactory(msp=msp, name="Initech")

    page.goto(f"/clients/{globex.pk}/")
    zone = page.locator("#danger-zone")
    assert zone.locator("a:has-text('Merge with…')").is_visible()
    zone.locator("#archive-reason").fill("Contract ended in March")
    screenshot(page, "client-danger-zone")
    zone.locator("button:has-text('Archive')").click()
    page.wait_for_url("**/clients/archived/")
    assert "Archived Globex Corporation" in page.locator(".toast").first.inner_text()

    page.goto("/clients/")
    assert _row(page, "Initech").count() == 1 and _row(page, "Globex").count() == 0
    page.click("a:has-text('Show archived')")
    page.wait_for_url("**/clients/archived/")
    assert "Contract ended in March" in _row(page, "Globex Corporation").inner_text()
    screenshot(page, "clients-archived")

    _row(page, "Globex Corporation").locator("a:has-text('Globex Corporation')").click()
    banner = page.locator("[data-archived-banner]")
    assert "Contract ended in March" in banner.inner_text() and "Ada Admin" in banner.inner_text()
    assert page.locator("a:has-text('Edit')").count() == 0
    screenshot(page, "client-archived")

    page.goto("/clients/archived/")
    _row(page, "Globex Corporation").locator("button:has-text('Restore')").click()
    page.wait_for_load_state()
    assert "Restored Globex Corporation" in page.locator(".toast").first.inner_text()
    page.goto("/clients/")
    assert _row(page, "Globex Corporation").count() == 1
    with unscoped("assert"):
        assert Client.objects.get(pk=globex.pk).status == "active"


def test_select_two_clients_merge_preview_confirm_and_undo_from_activity(signed_in_page, celery_worker):
    page = signed_in_page()
    msp = page.user.msp
    target = ClientFactory(msp=msp, name="Acme Tech")
    source = ClientFactory(msp=msp, name="ACME-Tech Limited", industry="Legal")
    ClientFactory(msp=msp, name="Globex")
    TicketFactory.create_batch(2, msp=msp, client=source, subject="VPN down")
    ContactFactory(msp=msp, client=source, first_name="Sam", last_name="Source", email="sam@acme.example")

    page.goto("/clients/")
    merge = page.locator("[data-bulk-bar] button[value=merge]")
    _row(page, "Acme Tech").locator("input[name=pk]").check()
    assert merge.is_disabled()  # one client cannot merge
    _row(page, "ACME-Tech Limited").locator("input[name=pk]").check()
    assert merge.is_enabled()
    merge.click()
    page.wait_for_url(re.compile(r"/clients/merge/\?ids=\d+&ids=\d+$"))
    assert "What moves into Acme Tech" in page.content()
    page.check(f"input[name='field_industry'][value='{source.pk}']")
    screenshot(page, "merge-preview")
    page.click("form[data-merge-form] button[type=submit]")
    page.wait_for_selector("#merge-progress[data-status='done']", timeout=30_000)
    assert re.search(r"/clients/merges/\d+/$", page.url)
    screenshot(page, "merge-status")
    with unscoped("assert"):
        assert Client.objects.get(pk=source.pk).merged_into_id == target.pk

    page.goto(f"/clients/{target.pk}/activity/")
    undo = page.locator("a:has-text('Undo merge…')")
    assert undo.count() == 1
    screenshot(page, "client-activity-merge")
    page.goto("/activity/")
    assert page.locator("a:has-text('Undo merge…')").count() == 1
    page.goto(f"/clients/{target.pk}/activity/")
    page.click("a:has-text('Undo merge…')")
    page.on("dialog", lambda dialog: dialog.accept())  # "Undo this merge?"
    page.click("button:has-text('Undo merge')")
    page.wait_for_selector("#merge-progress[data-status='undone']")
    with unscoped("assert"):
        assert Client.objects.get(pk=source.pk).merged_into_id is None
        assert Client.objects.get(pk=source.pk).status == "active"


def test_merge_with_from_the_client_page_suggests_the_duplicate(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    client = ClientFactory(msp=msp, name="Contoso Ltd")
    twin = ClientFactory(msp=msp, name="Contoso Limited")
    ClientFactory(msp=msp, name="Fabrikam")
    page.goto(f"/clients/{client.pk}/")
    page.click("#danger-zone a:has-text('Merge with…')")
    suggestions = page.locator("[data-merge-suggestions]")
    assert "Contoso Limited" in suggestions.inner_text() and "Fabrikam" not in suggestions.inner_text()
    page.fill("#merge-q", "fabri")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-merge-match]")
    screenshot(page, "client-merge-pick")
    suggestions.locator("a:has-text('Preview merge')").click()
    page.wait_for_url(f"**/clients/merge/?ids={client.pk}&ids={twin.pk}")
    assert "What moves into Contoso Ltd" in page.content()


def test_contact_page_invite_merge_and_delete(signed_in_page):
    page = signed_in_page()
    msp = page.user.msp
    client = ClientFactory(msp=msp, name="Tailspin Toys")
    jo = ContactFactory(msp=msp, client=client, first_name="Jo", last_name="Bloggs", email="jo@tailspin.example",
                        is_portal_user=True, job_title="Office manager")
    twin = ContactFactory(msp=msp, client=client, first_name="Jo", last_name="Bloggs", email="jo.b@tailspin.example")
    TicketFactory(msp=msp, client=client, contact=twin, subject="Printer jam")
    ContactFactory(msp=msp, client=client, first_name="Al", last_name="Ant", email="al@tailspin.example")

    page.goto(f"/contacts/{jo.pk}/")
    assert page.locator(".portal-invite .badge").inner_text() == "Pending setup"
    assert page.locator(".portal-invite button:has-text('Re-send invite')").is_visible()
    page.click("[data-contact-menu] summary")
    screenshot(page, "contact-detail")
    page.click("[data-contact-menu] a:has-text('Merge with…')")
    assert page.is_checked(f"#pick-{twin.pk}")  # same name: ticked for you
    screenshot(page, "contact-merge-pick")
    page.click("button:has-text('Next: choose who stays')")
    page.check(f"input[name=winner][value='{jo.pk}']")
    screenshot(page, "contact-merge-winner")
    page.click("button:has-text('Merge 2 contacts')")
    page.wait_for_url(f"**/contacts/{jo.pk}/")
    assert "Printer jam" in page.locator("main").inner_text()  # the twin's ticket followed

    page.click("[data-contact-menu] summary")
    page.click("[data-contact-menu] a:has-text('Delete…')")
    page.fill("#reason", "Left the company")
    page.click("button:has-text('Delete contact')")
    page.wait_for_url(f"**/clients/{client.pk}/contacts/")
    assert "Jo Bloggs" not in page.locator("main table").inner_text()
    with unscoped("assert"):
        assert Contact.objects.get(pk=jo.pk).deleted_at is not None


def test_uploaded_client_logo_displays_on_the_client_page(signed_in_page, live_server):
    """Issue 12 item 4: an uploaded logo used to be a broken image (nothing served
    /media/). Upload one through the edit form; the client header shows it, served by
    the MSP-checked logo view."""
    from opsmerge.testing.images import png_bytes

    page = signed_in_page()
    client = ClientFactory(msp=page.user.msp, name="Contoso Pharma")
    page.goto(f"{live_server.url}/clients/{client.pk}/edit/")
    page.locator("input[name=logo]").set_input_files(
        files=[{"name": "contoso.png", "mimeType": "image/png", "buffer": png_bytes((96, 96))}])
    page.locator("form button[type=submit].btn-primary").first.click()
    page.wait_for_url(re.compile(rf"/clients/{client.pk}/$"))
    logo = page.get_by_test_id("client-logo")
    logo.wait_for()
    assert re.search(rf"^/clients/{client.pk}/logo/\?v=[0-9a-f]{{12}}$", logo.get_attribute("src"))
    page.wait_for_function("document.querySelector('[data-testid=client-logo]').complete")
    assert logo.evaluate("img => img.naturalWidth") == 96  # decoded: not a broken image
    screenshot(page, "client-logo-header", full_page=False)
