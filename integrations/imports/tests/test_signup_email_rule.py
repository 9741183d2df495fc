"""Seed 004 leftover (issue 15): the MSP's sign-up email is never a client's primary
contact email — both CSV imports refuse it with the row and the column."""

import pytest

from accounts.models import Msp
from clients.tests.factories import ClientFactory
from integrations.imports.columns import headers_for

from .conftest import csv_bytes, errors_of

pytestmark = pytest.mark.django_db
OWNER = "owner@northwind.example"


@pytest.fixture(autouse=True)
def signup_email(msp):
    Msp.objects.filter(pk=msp.pk).update(signup_email=OWNER)
    msp.refresh_from_db()


def test_clients_import_reports_row_and_column(run_import):
    head = headers_for("clients")
    def row(**values):
        base = {"ClientName": "Globex", "PrimaryContactFirstName": "Hank", "PrimaryContactLastName": "Scorpio",
                "PrimaryContactEmail": "hank@globex.example", "SiteName": "Cypress Creek", "Timezone": "UTC"}
        return [{**base, **values}.get(h, "") for h in head]

    job = run_import("clients", csv_bytes([head, row(), row(ClientName="Initech", PrimaryContactEmail=OWNER.upper())]))
    assert job.status == "succeeded", job.error_message
    [(number, column, value, message)] = errors_of(job)
    assert (number, column, value) == (3, "PrimaryContactEmail", OWNER.upper())
    assert "signed up to OpsMerge with" in message
    assert (job.created, job.failed) == (1, 1)


def test_contacts_import_reports_row_and_column_for_a_primary(run_import, msp):
    ClientFactory(msp=msp, name="Contoso")
    head = ["FirstName", "LastName", "Email", "ClientName", "Primary"]
    job = run_import("contacts", csv_bytes([head, ["Own", "Er", OWNER, "Contoso", "yes"]]))
    assert job.status == "succeeded", job.error_message
    [(number, column, _value, message)] = errors_of(job)
    assert (number, column) == (2, "Email") and "signed up to OpsMerge with" in message
    ordinary = run_import("contacts", csv_bytes([head, ["Own", "Er", OWNER, "Contoso", "no"]]))
    assert (ordinary.created, ordinary.failed) == (1, 0)  # only a primary contact is refused
