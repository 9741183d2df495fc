"""/api/v1/import-jobs/: upload, poll, map, commit, error report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from integrations.imports.models import ImportJob, ImportRowError
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db

CSV = "Client name,Country,Time zone\nContoso,GB,Europe/London\nBroken,XX,Mars/Base\n"


def upload(api, content=CSV, **fields):
    file = SimpleUploadedFile("upload.csv", content.encode(), content_type="text/csv")
    return api.post("/api/v1/import-jobs/", {"file": file, "kind": "clients", **fields}, format="multipart")


def test_upload_starts_a_dry_run_and_is_polled(api, msp):
    response = upload(api)
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["kind"] == "clients" and job["dry_run"] is True
    assert job["status"] in ("queued", "mapping"), job
    polled = api.get(f"/api/v1/import-jobs/{job['id']}/").json()
    assert polled["id"] == job["id"] and "percent" in polled and "counts" in polled
    assert api.get("/api/v1/import-jobs/").json()["count"] == 1


def test_upload_errors_name_the_field(api):
    bad_kind = upload(api, kind="planets")
    assert bad_kind.status_code == 400 and bad_kind.json()["errors"][0]["attr"] == "kind"
    no_file = api.post("/api/v1/import-jobs/", {"kind": "clients"}, format="multipart")
    assert no_file.status_code == 400 and no_file.json()["errors"][0]["attr"] == "file"


def test_unrecognised_columns_wait_for_a_mapping(api, msp):
    job = upload(api, content="Kunde;Standort\nContoso;Berlin\n", kind="sites").json()
    assert job["status"] == "mapping" and job["mapping_errors"]
    wrong = api.post(f"/api/v1/import-jobs/{job['id']}/mapping/", {"mapping": {"0": "nope"}}, format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["attr"] == "mapping"
    mapped = api.post(f"/api/v1/import-jobs/{job['id']}/mapping/", {"mapping": {"0": "client", "1": "name"}, "start": False},
                      format="json")
    assert mapped.status_code == 200, mapped.json()
    started = api.post(f"/api/v1/import-jobs/{job['id']}/start/", {"dry_run": False}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "queued"
    assert started.json()["dry_run"] is False


def test_error_report_and_row_errors(api, msp):
    job = upload(api).json()
    with msp_scope(msp):
        ImportJob.objects.filter(pk=job["id"]).update(status=ImportJob.Status.SUCCEEDED, failed=1)
        ImportRowError.objects.create(msp=msp, job_id=job["id"], row_number=3, cells=["Broken", "XX", "Mars/Base"],
                                      errors=[{"column": "Country", "value": "XX", "message": "Unknown country."}])
    rows = api.get(f"/api/v1/import-jobs/{job['id']}/errors/").json()
    assert rows["results"][0]["row_number"] == 3 and "Country: Unknown country." in rows["results"][0]["message"]
    report = api.get(f"/api/v1/import-jobs/{job['id']}/error-report/")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    body = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "Row 3: Country: Unknown country." in body and "Broken" in body
    commit = api.post(f"/api/v1/import-jobs/{job['id']}/commit/")
    assert commit.status_code == 201 and commit.json()["dry_run"] is False and commit.json()["source_job"] == job["id"]


def test_imports_need_the_import_permission(make_api, user):
    tech = make_api(user, role=Role.TECHNICIAN)
    assert tech.get("/api/v1/import-jobs/").status_code == 403
    assert upload(tech).status_code == 403



def test_a_column_mapped_to_a_custom_field_is_not_a_mapping_error(api, msp):
    from clients.tests.factories import CustomFieldFactory

    CustomFieldFactory(msp=msp, key="contract_ref", label="Contract ref")
    job = upload(api, content="A,B,C,D,E,F,G\nContoso,Ann,Lee,ann@contoso.example,HQ,Europe/London,C-1\n").json()
    assert job["status"] == "mapping", job
    mapping = dict(enumerate(["name", "contact_first_name", "contact_last_name", "contact_email", "site_name",
                              "time_zone", "custom:contract_ref"]))
    url = f"/api/v1/import-jobs/{job['id']}/mapping/"
    held = api.post(url, {"mapping": mapping, "start": False}, format="json")
    assert held.status_code == 200 and held.json()["mapping_errors"] == [], held.json()
    started = api.post(url, {"mapping": mapping}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "queued", started.json()
