"""Upload → map columns → dry run → commit → progress page, in Chromium, with the
job run by a real Celery worker."""

import pytest

from testing.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.mark.django_db(transaction=True)
def test_upload_map_dry_run_commit(signed_in_page, live_server, celery_worker, tmp_path):
    from contacts.models import Contact
    from opsmerge.tenancy import msp_scope

    page = signed_in_page()
    msp = page.user.msp
    upload = tmp_path / "people.csv"
    upload.write_bytes("Given name;Surname;E-mail;Job\r\nAnn;Lee;ann@acme.example;CFO\r\n"
                       "Bob;Ray;not-an-email;CTO\r\nCéline;Dion;celine@acme.example;CEO\r\n".encode("cp1252"))

    page.goto(live_server.url + "/imports/")
    screenshot(page, "imports-list")
    page.select_option("select[name=kind]", "contacts")
    page.set_input_files("input[name=file]", str(upload))
    page.click("[data-testid=upload-form] button[type=submit]")

    page.wait_for_selector("[data-testid=mapping-form]")
    assert page.input_value("select[name=col_2]") == "email"
    page.select_option("select[name=col_3]", "job_title")
    screenshot(page, "imports-mapping")
    page.click("[data-testid=dry-run]")

    page.wait_for_selector("[data-testid=commit]", timeout=30_000)  # page refreshes when the job ends
    assert page.inner_text("[data-testid=count-created]") == "2"
    assert "Not a valid email address." in page.inner_text("[data-testid=row-errors]")
    screenshot(page, "imports-dry-run")
    with msp_scope(msp):
        assert not Contact.objects.filter(msp=msp).exists()

    page.click("[data-testid=commit]")
    page.wait_for_function("document.querySelector('[data-testid=job-status]').innerText === 'Finished'",
                           timeout=30_000)
    screenshot(page, "imports-committed")
    with msp_scope(msp):
        assert sorted(Contact.objects.filter(msp=msp).values_list("first_name", flat=True)) == ["Ann", "Céline"]


@pytest.mark.django_db(transaction=True)
def test_client_contacts_import_of_an_outlook_export(signed_in_page, live_server, celery_worker):
    """Seed 000: Client → Contacts → Import with an Outlook export whose Company column
    holds the people's own company, not one of our clients; then Undo."""
    from clients.tests.factories import ClientFactory
    from contacts.models import Contact
    from opsmerge.tenancy import msp_scope

    from .conftest import SAMPLES

    page = signed_in_page()
    msp = page.user.msp
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Pemberton Group")

    page.goto(f"{live_server.url}/clients/{client.pk}/contacts/")
    page.click("[data-testid=import-contacts]")
    page.wait_for_selector("[data-testid=client-import-form]")
    screenshot(page, "client-contacts-import-upload")
    page.set_input_files("input[name=file]", str(SAMPLES / "outlook_new.csv"))
    page.click("[data-testid=upload]")

    page.wait_for_selector("[data-testid=mapping-form]")
    assert "Recognised: Outlook contacts" in page.inner_text("[data-testid=detected-format]")
    assert page.input_value("select[name=source_format]") == "outlook"
    screenshot(page, "client-contacts-import-mapping")
    page.click("[data-testid=dry-run]")

    page.wait_for_selector("[data-testid=commit]", timeout=30_000)
    assert page.inner_text("[data-testid=count-created]") == "4"
    screenshot(page, "client-contacts-import-dry-run")
    page.click("[data-testid=commit]")
    page.wait_for_function("document.querySelector('[data-testid=job-status]').innerText === 'Finished'",
                           timeout=30_000)
    page.wait_for_selector("[data-testid=undo]", timeout=30_000)
    screenshot(page, "client-contacts-import-committed")
    with msp_scope(msp):
        people = dict(Contact.objects.filter(msp=msp, client=client).values_list("email", "organisation_name"))
    assert len(people) == 4 and people["hugo.albrecht@pembertondental.example"] == "Pemberton Dental"

    page.goto(f"{live_server.url}/clients/{client.pk}/contacts/")
    assert "hugo.albrecht@pembertondental.example" in page.inner_text("main")
    screenshot(page, "client-contacts-import-tab")

    page.go_back()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=undo]")
    page.wait_for_selector("[data-testid=undone]")
    screenshot(page, "client-contacts-import-undone")
    with msp_scope(msp):
        assert not Contact.objects.filter(msp=msp, client=client).exists()
