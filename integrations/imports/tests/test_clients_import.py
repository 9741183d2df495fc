import pytest

from accounts.tests.factories import TechGroupFactory
from clients.models import Client, ClientDomain
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from integrations.imports.columns import headers_for
from opsmerge.tenancy import msp_scope
from sites.models import Site

from .conftest import csv_bytes, errors_of

pytestmark = pytest.mark.django_db
HEAD = headers_for("clients")


def client_row(**values):
    base = {"ClientName": "Globex", "PrimaryContactFirstName": "Hank", "PrimaryContactLastName": "Scorpio",
            "PrimaryContactEmail": "hank@globex.example", "SiteName": "Cypress Creek", "Timezone": "America/Chicago"}
    base.update(values)
    return [base.get(h, "") for h in HEAD]


def test_seed_004_checklist_messages(msp, user, run_import, make_user):
    make_user(email="tech@northwind.example")
    with msp_scope(msp):
        TechGroupFactory(msp=msp, name="Service desk")
    rows = [
        HEAD,
        client_row(PhoneCode="1", PhoneNumber="4155550123", Country="us", State="us-ca", EmailDomains="globex.example, globex.co",
                   AccountManager="TECH@northwind.example", TechGroups="service desk", Tags="gold"),
        client_row(ClientName="", PrimaryContactEmail="x@y.example"),
        client_row(ClientName="Initech", Timezone="EST5", PrimaryContactEmail="bill@initech.example"),
        client_row(ClientName="Initrode", PhoneNumber="555 0100", PrimaryContactEmail="a@initrode.example"),
        client_row(ClientName="Acme", Country="XX", State="ZZ-99", PrimaryContactEmail="a@acme.example"),
        client_row(ClientName="Umbrella", AccountManager="nobody@x.example", TechGroups="Night shift",
                   PrimaryContactEmail="a@umbrella.example"),
        client_row(ClientName="globex", PrimaryContactEmail="other@globex.example"),
        client_row(ClientName="Hooli", PrimaryContactEmail="hank@globex.example"),
        client_row(ClientName="Stark", EmailDomains="globex.co", PrimaryContactEmail="t@stark.example"),
        client_row(ClientName="Wayne", PrimaryContactEmail=user.email),
    ]
    job = run_import("clients", csv_bytes(rows))
    assert job.status == "succeeded", job.error_message
    errors = errors_of(job)
    by_row = {}
    for row, column, value, message in errors:
        by_row.setdefault(row, []).append((column, value, message))
    assert by_row[3] == [("ClientName", "", "Required: this cell is empty.")]
    assert by_row[4][0][0] == "Timezone" and "IANA" in by_row[4][0][2]
    assert by_row[5] == [("PhoneNumber", "555 0100", "Digits only: no spaces, dashes or brackets (the code goes in "
                                                     "PhoneCode).")]
    assert {c for c, _, _ in by_row[6]} == {"Country", "State"}
    assert by_row[7] == [("AccountManager", "nobody@x.example", "No technician of your MSP has this email address."),
                         ("TechGroups", "Night shift", "No tech group called “Night shift”: create it in Settings "
                                                       "first.")]
    assert by_row[8] == [("ClientName", "globex", "This client name also appears in row 2; it must be unique in "
                                                  "the file.")]
    assert by_row[9][0][:2] == ("PrimaryContactEmail", "hank@globex.example")
    assert "row 2" in by_row[10][0][2]
    assert by_row[11][0][2] == "Use the client's email, not your own sign-in email."
    assert (job.created, job.failed) == (1, 9)
    with msp_scope(msp):
        globex = Client.objects.get(msp=msp, name="Globex")
        assert (globex.country, globex.state, globex.phone_country_code, globex.phone_number) == (
            "US", "US-CA", "1", "4155550123")
        assert list(globex.domains.values_list("domain", "is_primary")) == [("globex.example", True),
                                                                           ("globex.co", False)]
        assert globex.account_manager.email == "tech@northwind.example"
        assert list(globex.tech_groups.values_list("name", flat=True)) == ["Service desk"]
        assert Site.objects.get(msp=msp, client=globex).is_hq
        assert Contact.objects.get(msp=msp, client=globex).is_primary


def test_likely_duplicates_are_reported_not_created(msp, run_import):
    with msp_scope(msp):
        acme = ClientFactory(msp=msp, name="ACME Limited")
        other = ClientFactory(msp=msp, name="Wonka")
        ClientDomainFactory(msp=msp, client=other, domain="wonka.example")
    job = run_import("clients", csv_bytes([
        HEAD,
        client_row(ClientName="Acme Ltd", PrimaryContactEmail="a@acme.example"),
        client_row(ClientName="Wonka Industries", EmailDomains="wonka.example", PrimaryContactEmail="w@w.example"),
    ]))
    assert (job.created, job.skipped) == (0, 2)
    messages = [m for _, _, _, m in errors_of(job)]
    assert "Likely the same client as “ACME Limited”" in messages[0]
    assert "Likely the same client as “Wonka” (it owns wonka.example)" in messages[1]
    with msp_scope(msp):
        assert Client.objects.filter(msp=msp).count() == 2
        assert acme.pk


def test_update_is_idempotent_and_moves_primary(msp, run_import):
    first = csv_bytes([HEAD, client_row(EmailDomains="globex.example", Tags="gold")])
    assert run_import("clients", first).created == 1
    again = run_import("clients", first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = csv_bytes([HEAD, client_row(ClientName="GLOBEX", SiteName="HQ", PrimaryContactEmail="mr@globex.example",
                                          EmailDomains="globex.co, globex.example", Tags="silver",
                                          Timezone="Europe/London")])
    job = run_import("clients", changed)
    assert (job.updated, job.failed) == (1, 0), errors_of(job)
    with msp_scope(msp):
        globex = Client.objects.get(msp=msp)
        assert globex.time_zone == "Europe/London" and globex.name == "Globex"
        assert list(globex.sites.values_list("name", "is_hq")) == [("HQ", True)]
        assert list(Contact.objects.filter(msp=msp, client=globex).order_by("email").values_list(
            "email", "is_primary")) == [("hank@globex.example", False), ("mr@globex.example", True)]
        assert list(ClientDomain.objects.filter(msp=msp).order_by("-is_primary").values_list("domain", flat=True)
                    ) == ["globex.co", "globex.example"]
        assert list(globex.tags.values_list("name", flat=True)) == ["silver"]
    assert run_import("clients", changed).unchanged == 1


def test_archived_client_is_not_changed(msp, run_import):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Globex", status="archived", archived_at="2026-01-01T00:00:00Z")
    job = run_import("clients", csv_bytes([HEAD, client_row()]))
    assert job.failed == 1
    assert "archived" in errors_of(job)[0][3]


def test_sites_import(msp, run_import):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Acme")
    head = headers_for("sites")
    content = csv_bytes([head, ["Acme", "London", "", "2nd floor", "Europe/London", "", "", "", "GB-LND", "GB"],
                         ["acme", "Leeds", "", "", "", "", "", "", "", ""],
                         ["Nope", "Paris", "", "", "", "", "", "", "", ""]])
    job = run_import("sites", content)
    assert (job.created, job.failed) == (2, 1)
    with msp_scope(msp):
        assert list(Site.objects.filter(msp=msp).order_by("name").values_list("name", "is_hq")) == [
            ("Leeds", False), ("London", True)]
    assert run_import("sites", content).unchanged == 2
