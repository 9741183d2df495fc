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
