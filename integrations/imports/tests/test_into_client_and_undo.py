"""Client → Contacts → Import (seed 000), the dry-run review of likely duplicate
clients, and Undo of a whole job."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ClientDomain
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.imports.engine import import_job_run
from integrations.imports.models import ImportChange, ImportJob
from integrations.imports.services import import_job_commit, import_job_create
from integrations.imports.undo import import_job_undo
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope
from sites.models import Site

from .conftest import csv_bytes, errors_of, sample

pytestmark = pytest.mark.django_db

HEAD = ["First Name", "Last Name", "E-mail", "Company", "Job Title", "Primary"]


@pytest.fixture
def acme(msp):
    with msp_scope(msp):
        return ClientFactory(msp=msp, name="Acme Ltd")


def test_into_client_every_row_goes_there_and_company_is_the_organisation(msp, acme, run_import):
    content = csv_bytes([HEAD, ["Ann", "Lee", "ann@acme.example", "Some Other Co", "CFO", "yes"],
                         ["Bob", "Ray", "bob@acme.example", "", "", ""]])
    job = run_import("contacts", content, client=acme)
    assert job.status == "succeeded", job.error_message
    assert (job.created, job.failed) == (2, 0), errors_of(job)
    with msp_scope(msp):
        ann = Contact.objects.get(msp=msp, email="ann@acme.example")
        assert (ann.client, ann.organisation_name, ann.is_primary) == (acme, "Some Other Co", True)
        assert Client.objects.filter(msp=msp).count() == 1


def test_into_client_dedupes_by_email_within_the_client_only(msp, acme, run_import):
    with msp_scope(msp):
        other = ClientFactory(msp=msp, name="Other Co")
        theirs = ContactFactory(msp=msp, client=other, email="ann@acme.example", first_name="Theirs")
        mine = ContactFactory(msp=msp, client=acme, email="bob@acme.example", first_name="Old")
    content = csv_bytes([HEAD, ["Ann", "Lee", "ANN@acme.example", "", "", ""], ["Bob", "Ray", "bob@acme.example", "", "", ""]])
    job = run_import("contacts", content, client=acme)
    assert (job.created, job.updated, job.failed) == (1, 1, 0), errors_of(job)
    with msp_scope(msp):
        theirs.refresh_from_db()
        mine.refresh_from_db()
        assert theirs.first_name == "Theirs" and theirs.client == other  # untouched
        assert mine.first_name == "Bob"
        assert Contact.objects.filter(msp=msp, client=acme, email__iexact="ann@acme.example").count() == 1
    again = run_import("contacts", content, client=acme)  # idempotent
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_into_client_refuses_other_msps_and_archived_clients_and_other_kinds(msp, user, acme, make_msp_client):
    foreign = make_msp_client()
    with msp_scope(msp):
        with pytest.raises(ValidationError, match="No such client"):
            import_job_create(msp=msp, actor=user, upload=ContentFile(b"a,b\n1,2\n", name="x.csv"), kind="contacts",
                              client=foreign)
        with pytest.raises(ValidationError, match="Only contacts"):
            import_job_create(msp=msp, actor=user, upload=ContentFile(b"a,b\n1,2\n", name="x.csv"), kind="sites",
                              client=acme)
        Client.objects.filter(msp=msp, pk=acme.pk).update(status=Client.Status.ARCHIVED, archived_at=timezone.now())
        acme.refresh_from_db()
        with pytest.raises(ValidationError, match="archived"):
            import_job_create(msp=msp, actor=user, upload=ContentFile(b"a,b\n1,2\n", name="x.csv"), kind="contacts",
                              client=acme)


@pytest.fixture
def make_msp_client(db):
    from accounts.tests.factories import MspFactory

    def make():
        other = MspFactory(name="Elsewhere IT", slug="elsewhere")
        with msp_scope(other):
            return ClientFactory(msp=other, name="Foreign Client")

    return make


CLIENT_HEAD = ["ClientName", "PrimaryContactFirstName", "PrimaryContactLastName", "PrimaryContactEmail", "SiteName",
               "Timezone", "EmailDomains"]


def _run(job):
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status"])
    return import_job_run(msp=job.msp, job_id=job.pk)


def test_likely_duplicate_clients_are_listed_and_imported_only_when_confirmed(msp, user):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Contoso Holdings")
        content = csv_bytes([CLIENT_HEAD,
                             ["Contoso Holding", "Al", "Ng", "al@contoso-h.example", "HQ", "Europe/London", ""],
                             ["Fabrikam", "Bo", "Yu", "bo@fabrikam.example", "HQ", "Europe/London", ""]])
        dry = _run(import_job_create(msp=msp, actor=user, upload=ContentFile(content, name="c.csv"), kind="clients"))
        assert (dry.created, dry.skipped) == (1, 1)
        [(row, _column, _value, message)] = errors_of(dry)
        assert row == 2 and message.startswith("Likely the same client as “Contoso Holdings”")
        with pytest.raises(ValidationError, match="Only rows the dry run listed"):
            import_job_commit(msp=msp, job=dry, actor=user, confirmed_rows=[3])
        unconfirmed = _run(import_job_commit(msp=msp, job=dry, actor=user))
        assert (unconfirmed.created, unconfirmed.skipped) == (1, 1)
        confirmed = _run(import_job_commit(msp=msp, job=dry, actor=user, confirmed_rows=[2]))
        assert confirmed.confirmed_rows == [2]
        assert (confirmed.created, confirmed.unchanged, confirmed.skipped) == (1, 1, 0)
        assert Client.objects.filter(msp=msp, name="Contoso Holding").exists()


def test_dry_run_review_page_lists_duplicates_with_checkboxes(msp, user, client):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Contoso Holdings")
        content = csv_bytes([CLIENT_HEAD, ["Contoso Holding", "Al", "Ng", "al@contoso-h.example", "HQ",
                                           "Europe/London", ""]])
        dry = _run(import_job_create(msp=msp, actor=user, upload=ContentFile(content, name="c.csv"), kind="clients"))
    client.force_login(user)
    page = client.get(reverse("imports:detail", args=[dry.pk])).content.decode()
    assert 'data-testid="likely-duplicates"' in page and 'name="confirm" value="2" form="commit-form"' in page
    response = client.post(reverse("imports:commit", args=[dry.pk]), {"confirm": ["2"]})
    assert response.status_code == 302
    with msp_scope(msp):
        assert ImportJob.objects.get(msp=msp, source_job=dry).confirmed_rows == [2]


def _snapshot(msp):
    with msp_scope(msp):
        return {
            "contacts": sorted(Contact.objects.filter(msp=msp).values_list(
                "id", "email", "first_name", "last_name", "job_title", "phone", "is_primary", "is_billing", "client_id",
                "organisation_name")),
            "tags": sorted(Contact.tags.through.objects.filter(msp=msp).values_list("contact_id", "tag_id")),
            "clients": sorted(Client.objects.filter(msp=msp).values_list("id", "name", "time_zone", "website")),
            "domains": sorted(ClientDomain.objects.filter(msp=msp).values_list("client_id", "domain", "is_primary")),
            "sites": sorted(Site.objects.filter(msp=msp).values_list("id", "client_id", "name", "is_hq")),
        }


def test_undo_a_contacts_job_restores_exactly(msp, user, acme, run_import):
    with msp_scope(msp):
        ContactFactory(msp=msp, client=acme, email="old@acme.example", first_name="Old", job_title="Intern",
                       is_primary=True)
        ContactFactory(msp=msp, client=acme, email="tagged@acme.example", first_name="Tagged")
    run_import("contacts", csv_bytes([["Email", "FirstName", "LastName", "Tags"],
                                      ["tagged@acme.example", "Tagged", "", "vip, legal"]]), client=acme)
    before = _snapshot(msp)
    content = csv_bytes([["FirstName", "LastName", "Email", "JobTitle", "Primary", "Tags"],
                         ["New", "Person", "new@acme.example", "CEO", "yes", "board"],
                         ["Older", "", "old@acme.example", "Director", "", ""],
                         ["Tagged", "", "tagged@acme.example", "", "", "legal, finance"]])
    job = run_import("contacts", content, client=acme)
    assert (job.created, job.updated) == (1, 2), errors_of(job)
    assert _snapshot(msp) != before
    with msp_scope(msp):
        assert ImportChange.objects.filter(msp=msp, job=job).exists()
        import_job_undo(msp=msp, job=job, actor=user)
        job.refresh_from_db()
        assert job.undone_at is not None
        assert AuditEvent.objects.filter(msp=msp, action="import.undo").count() == 1
        with pytest.raises(ValidationError, match="already been undone"):
            import_job_undo(msp=msp, job=job, actor=user)
    assert _snapshot(msp) == before


def test_undo_is_refused_for_rows_changed_since_and_changes_nothing(msp, user, acme, run_import):
    with msp_scope(msp):
        ContactFactory(msp=msp, client=acme, email="old@acme.example", first_name="Old")
    job = run_import("contacts", csv_bytes([["FirstName", "LastName", "Email"], ["New", "One", "new@acme.example"],
                                            ["Older", "", "old@acme.example"]]), client=acme)
    with msp_scope(msp):
        Contact.objects.filter(msp=msp, email="old@acme.example").update(first_name="Edited by hand")
        after = _snapshot(msp)
        with pytest.raises(ValidationError, match=r"Undo refused: 1 of 1 contacts updated by this import changed "
                                                  r"since \(old@acme.example\)"):
            import_job_undo(msp=msp, job=job, actor=user)
        assert _snapshot(msp) == after
        Contact.objects.filter(msp=msp, email="old@acme.example").update(first_name="Older")
        Contact.objects.filter(msp=msp, email="new@acme.example").update(job_title="Changed")
        with pytest.raises(ValidationError, match="created by this import changed or were deleted since"):
            import_job_undo(msp=msp, job=job, actor=user)
        assert ImportJob.objects.get(pk=job.pk).undone_at is None


def test_undo_is_refused_when_a_ticket_now_uses_a_created_contact(msp, user, acme, run_import):
    from tickets.tests.factories import TicketFactory

    job = run_import("contacts", csv_bytes([["FirstName", "LastName", "Email"], ["New", "One", "new@acme.example"]]),
                     client=acme)
    with msp_scope(msp):
        TicketFactory(msp=msp, client=acme, contact=Contact.objects.get(msp=msp, email="new@acme.example"))
        with pytest.raises(ValidationError, match="now used by tickets"):
            import_job_undo(msp=msp, job=job, actor=user)


def test_undo_a_clients_job_with_updates_of_domains_sites_and_primary_contacts(msp, user, run_import):
    run_import("clients", csv_bytes([CLIENT_HEAD, ["Acme", "Al", "Ng", "al@acme.example", "HQ", "Europe/London",
                                                   "acme.example, acme.co.example"]]))
    before = _snapshot(msp)
    job = run_import("clients", csv_bytes([
        CLIENT_HEAD,
        ["Acme", "Bea", "Fox", "bea@acme.example", "Head Office", "Europe/Paris", "acme.co.example, acme.example"],
        ["Globex", "Cy", "Lu", "cy@globex.example", "HQ", "America/Chicago", "globex.example"]]))
    assert (job.created, job.updated) == (1, 1), errors_of(job)
    with msp_scope(msp):
        import_job_undo(msp=msp, job=job, actor=user)
    assert _snapshot(msp) == before


def test_undo_of_a_sites_job_and_of_dry_runs(msp, user, acme, run_import):
    with msp_scope(msp):
        Site.objects.create(msp=msp, client=acme, name="HQ", is_hq=True)
    before = _snapshot(msp)
    job = run_import("sites", csv_bytes([["ClientName", "SiteName", "HQ"], ["Acme Ltd", "Depot", "yes"]]))
    assert job.created == 1
    dry = run_import("sites", csv_bytes([["ClientName", "SiteName"], ["Acme Ltd", "Annex"]]), dry_run=True)
    with msp_scope(msp):
        with pytest.raises(ValidationError, match="dry run"):
            import_job_undo(msp=msp, job=dry, actor=user)
        import_job_undo(msp=msp, job=job, actor=user)
    assert _snapshot(msp) == before


def test_undo_through_the_page_and_the_api(msp, user, acme, client, run_import):
    job = run_import("contacts", sample("outlook_new.csv"), client=acme)
    client.force_login(user)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="undo"' in page
    assert client.post(reverse("imports:undo", args=[job.pk])).status_code == 302
    with msp_scope(msp):
        assert not Contact.objects.filter(msp=msp).exists()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="undone"' in page and 'data-testid="undo"' not in page

    job = run_import("contacts", sample("outlook_new.csv"), client=acme)
    response = client.post(f"/api/v1/import-jobs/{job.pk}/undo/")
    assert response.status_code == 200 and response.json()["undone_at"]
    response = client.post(f"/api/v1/import-jobs/{job.pk}/undo/")
    assert response.status_code == 400 and "already been undone" in response.content.decode()


def test_api_upload_into_a_client(msp, user, acme, client):
    client.force_login(user)
    response = client.post("/api/v1/import-jobs/", {
        "file": ContentFile(sample("outlook_new.csv"), name="outlook.csv"), "kind": "contacts", "client": acme.pk,
        "dry_run": "false"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["client"], body["source_format"], body["mapping_errors"]) == (acme.pk, "outlook", [])
    response = client.post("/api/v1/import-jobs/", {
        "file": ContentFile(b"Email\nx@y.example\n", name="x.csv"), "kind": "contacts", "client": 999999})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "invalid", "detail": "No such client.", "attr": "client"}]


def test_client_contacts_tab_has_the_import_button_and_the_page_uploads(msp, user, acme, client):
    client.force_login(user)
    tab = client.get(reverse("clients:contacts", args=[acme.pk])).content.decode()
    assert reverse("imports:client_contacts", args=[acme.pk]) in tab
    page = client.get(reverse("imports:client_contacts", args=[acme.pk]))
    assert page.status_code == 200 and "Import contacts into Acme Ltd" in page.content.decode()
    response = client.post(reverse("imports:client_contacts", args=[acme.pk]), {
        "file": ContentFile(sample("outlook_new.csv"), name="outlook.csv"), "mode": "create_update"})
    assert response.status_code == 302
    with msp_scope(msp):
        job = ImportJob.objects.get(msp=msp)
    assert (job.client, job.source_format) == (acme, "outlook")
    detail = client.get(response["Location"]).content.decode()
    assert "Recognised: Outlook contacts" in detail and "ClientName" not in detail
