"""Recognised export formats: detection from the header, the mapping they offer and
the rules each needs, on realistic sample files (tests/samples/, invented data)."""

import pytest

from clients.models import Client
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from integrations.imports.formats import detect, primary_smtp
from integrations.imports.reading import inspect, iter_rows
from opsmerge.tenancy import msp_scope

from .conftest import SAMPLES, errors_of, sample

pytestmark = pytest.mark.django_db

DETECTED = [
    ("m365_export_users.csv", "contacts", "m365_users"),
    ("outlook_new.csv", "contacts", "outlook"),
    ("outlook_classic.csv", "contacts", "outlook_classic"),
    ("google_contacts.csv", "contacts", "google"),
    ("google_contacts_legacy.csv", "contacts", "google"),
    ("harbourside.vcf", "contacts", "vcard"),
    ("connectwise_companies.csv", "clients", "connectwise_companies"),
    ("connectwise_contacts.csv", "contacts", "connectwise_contacts"),
    ("autotask_companies.csv", "clients", "autotask_companies"),
    ("autotask_contacts.csv", "contacts", "autotask_contacts"),
    ("halo_clients.csv", "clients", "halo_clients"),
    ("halo_users.csv", "contacts", "halo_users"),
]


@pytest.mark.parametrize(("name", "kind", "key"), DETECTED)
def test_every_sample_is_recognised_from_its_header(name, kind, key):
    info = inspect(SAMPLES / name, name)
    fmt = detect(kind, info.headers)
    assert fmt is not None and fmt.key == key


def test_a_plain_template_is_not_mistaken_for_an_export():
    assert detect("contacts", ["FirstName", "LastName", "Email", "ClientName"]) is None
    assert detect("clients", ["ClientName", "PrimaryContactEmail"]) is None


def test_primary_smtp_is_the_upper_case_entry():
    assert primary_smtp("smtp:a@x.onmicrosoft.com+SMTP:jane+news@contoso.example+x500:/o=Ex") == \
        "jane+news@contoso.example"
    assert primary_smtp("smtp:first@contoso.example smtp:second@contoso.example") == "first@contoso.example"
    assert primary_smtp("") == ""


def _contacts(msp):
    with msp_scope(msp):
        return {c.email: c for c in Contact.objects.filter(msp=msp).select_related("client")}


def test_m365_export_users(msp, run_import):
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Northwind Labs")
    job = run_import("contacts", sample("m365_export_users.csv"), name="users.csv", client=client)
    assert job.status == "succeeded", job.error_message
    assert job.source_format == "m365_users"
    assert (job.created, job.skipped, job.failed) == (4, 1, 0)
    people = _contacts(msp)
    ada = people["ada.fernsby@northwindlabs.example"]  # the SMTP: proxy address, not the UPN
    assert (ada.first_name, ada.last_name, ada.job_title, ada.department, ada.office, ada.is_active) == (
        "Ada", "Fernsby", "Controller", "Finance", "Leeds", True)
    assert ada.mobile and ada.phone
    assert people["bram.oakes@northwindlabs.example"].is_active is False  # Block credential
    cleo = people["cleo@northwindlabs.example"]  # only a Display name
    assert (cleo.first_name, cleo.last_name) == ("Cleo", "Marchetti-Vance")
    assert "eunji.park@northwindlabs.example" in people  # no proxy addresses: the UPN
    assert not any("#ext#" in e.lower() for e in people)
    [(row, column, _value, message)] = errors_of(job)
    assert (row, column) == (5, "User principal name") and "Guest account" in message


def test_outlook_company_is_the_persons_organisation_not_a_client(msp, run_import):
    """The seed-000 path: 0 of N used to arrive ("No client called Pemberton Dental")."""
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Pemberton Group")
    job = run_import("contacts", sample("outlook_new.csv"), client=client)
    assert job.status == "succeeded", job.error_message
    assert (job.source_format, job.created, job.failed) == ("outlook", 4, 0)
    people = _contacts(msp)
    hugo = people["hugo.albrecht@pembertondental.example"]
    assert hugo.client == client and hugo.organisation_name == "Pemberton Dental"
    assert hugo.job_title == "Practice Manager"  # Job Title; "Mr." (Title) is ignored
    assert hugo.office == "Floor 2" and hugo.kind == Contact.Kind.PERSON
    with msp_scope(msp):
        assert Client.objects.filter(msp=msp).count() == 1  # no client made from Company


def test_outlook_classic_cp1252_exchange_entries_and_categories(msp, run_import):
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Fjordline")
    job = run_import("contacts", sample("outlook_classic.csv"), client=client)
    assert job.status == "succeeded", job.error_message
    assert (job.source_format, job.created, job.failed) == ("outlook_classic", 3, 0)
    people = _contacts(msp)
    lotte = people["lotte.braendgaard@fjordline.example"]
    assert lotte.last_name == "Brændgaard" and lotte.job_title == "Head of IT"
    with msp_scope(msp):
        assert sorted(lotte.tags.values_list("name", flat=True)) == ["Board", "Key account"]
    assert people["mateo.quinones@fjordline.example"].last_name == "Quiñones"  # EX: from the display name
    assert "nora@eriksenrevision.example" in people  # E-mail 2 Address when the first is blank


def test_google_contacts_both_csv_variants(msp, run_import):
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Kestrel")
    job = run_import("contacts", sample("google_contacts.csv"), client=client)
    assert (job.source_format, job.created, job.failed) == ("google", 2, 0), errors_of(job)
    people = _contacts(msp)
    priya = people["priya@kestrelarch.example"]  # the first of " ::: " values
    assert (priya.mobile, priya.organisation_name, priya.job_title) == ("+44 7700 900333", "Kestrel Architects",
                                                                        "Studio Lead")
    assert priya.phone == "+44 161 496 0333"
    with msp_scope(msp):
        assert list(priya.tags.values_list("name", flat=True)) == ["Clients"]  # not "* myContacts"
    quentin = people["q.dubois@kestrelarch.example"]  # names only in File As
    assert (quentin.first_name, quentin.last_name) == ("Quentin", "Dubois")
    job = run_import("contacts", sample("google_contacts_legacy.csv"), client=client)
    assert (job.created, job.failed) == (1, 0), errors_of(job)
    rosa = _contacts(msp)["rosa@lindqvistbygg.example"]
    assert (rosa.first_name, rosa.last_name, rosa.job_title, rosa.mobile) == ("Rosa", "Lindqvist", "CFO",
                                                                              "+46 70 123 45 67")


def test_vcard_several_cards_versions_and_encodings(msp, run_import):
    rows = list(iter_rows(SAMPLES / "harbourside.vcf", inspect(SAMPLES / "harbourside.vcf", "harbourside.vcf")))
    assert [n for n, _ in rows] == [1, 15, 23]  # the line where each card begins
    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="Harbourside Pharmacy")
    job = run_import("contacts", sample("harbourside.vcf"), name="harbourside.vcf", client=client)
    assert job.status == "succeeded", job.error_message
    assert (job.file_format, job.source_format, job.created, job.failed) == ("vcf", "vcard", 3, 0)
    people = _contacts(msp)
    chidi = people["chidi@harbourside.example"]  # the preferred email
    assert (chidi.first_name, chidi.last_name, chidi.organisation_name, chidi.department, chidi.mobile) == (
        "Chidi", "Abara", "Harbourside Pharmacy", "Dispensary", "+44 7700 900444")
    juergen = people["juergen.mueller@harbourside.example"]  # vCard 2.1 quoted-printable UTF-8
    assert (juergen.first_name, juergen.last_name) == ("Jürgen", "Müller")
    sofia = people["sofia.ibarra@harbourside.example"]  # vCard 4.0, FN only, folded TITLE
    assert (sofia.first_name, sofia.last_name) == ("Sofía", "Ibarra")
    assert sofia.job_title.endswith("continues on the next line")


def test_vcard_bad_cell_names_the_card_line(msp, run_import):
    content = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Mail\r\nEMAIL:not-an-email\r\nEND:VCARD\r\n"
    job = run_import("contacts", content, name="one.vcf")
    assert job.failed == 1
    assert errors_of(job) == [(1, "Email", "not-an-email", "Not a valid email address.")]


def test_vcard_without_cards_is_refused(msp, run_import):
    job = run_import("contacts", b"hello, this is not a card\r\n", name="contacts.vcf")
    assert job.status == "failed" and "no contact card" in job.error_message


def test_psa_contact_exports_msp_wide(msp, run_import):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Blue Heron Veterinary")
        ClientFactory(msp=msp, name="Copperleaf Bakery")
        ClientFactory(msp=msp, name="Driftwood Surf School")
    for name in ("connectwise_contacts.csv", "autotask_contacts.csv", "halo_users.csv"):
        job = run_import("contacts", sample(name), name=name)
        assert job.status == "succeeded" and job.failed == 0, (name, errors_of(job))
    people = _contacts(msp)
    assert people["uma@blueheronvet.example"].client.name == "Blue Heron Veterinary"
    assert people["victor@blueheronvet.example"].is_active is False  # Inactive Flag
    assert people["xavier@copperleafbakery.example"].client.name == "Copperleaf Bakery"
    zeke = people["zeke@driftwoodsurf.example"]
    assert (zeke.first_name, zeke.last_name, zeke.client.name) == ("Zeke", "Trelawny", "Driftwood Surf School")


def test_psa_company_exports(msp, run_import):
    job = run_import("clients", sample("connectwise_companies.csv"), name="companies.csv")
    assert job.source_format == "connectwise_companies"
    assert (job.created, job.failed) == (1, 1), errors_of(job)
    [(row, column, value, message)] = errors_of(job)
    assert (row, column, value) == (3, "Time Zone", "US/Mountain")
    assert message == "“US/Mountain” is a legacy time zone alias: use its canonical name America/Denver."
    for name in ("autotask_companies.csv", "halo_clients.csv"):
        job = run_import("clients", sample(name), name=name)
        assert (job.created, job.failed) == (1, 0), (name, errors_of(job))
    with msp_scope(msp):
        vet = Client.objects.get(msp=msp, name="Blue Heron Veterinary")
        assert (vet.state, vet.country, vet.time_zone) == ("US-ME", "US", "America/New_York")
        assert list(vet.domains.values_list("domain", flat=True)) == ["blueheronvet.example"]
        primary = vet.contacts.get(is_primary=True)
        assert (primary.first_name, primary.last_name, primary.email) == ("Sam", "Okafor", "sam@blueheronvet.example")
        bakery = Client.objects.get(msp=msp, name="Copperleaf Bakery")
        assert bakery.country == "GB" and bakery.sites.get().name == "Main office"  # no site column
        surf = Client.objects.get(msp=msp, name="Driftwood Surf School")
        assert surf.sites.get().name == "Beach Office"


def test_user_can_switch_off_the_format_and_map_by_hand(msp, user):
    from django.core.files.base import ContentFile

    from integrations.imports.services import import_job_create, import_job_set_mapping, mapping_errors

    with msp_scope(msp):
        job = import_job_create(msp=msp, actor=user, upload=ContentFile(sample("m365_export_users.csv"),
                                                                         name="u.csv"), kind="contacts")
        assert job.source_format == "m365_users" and not mapping_errors(
            kind="contacts", mapping={int(i): k for i, k in job.mapping.items()}, msp=msp,
            source_format=job.source_format)
        with pytest.raises(Exception, match="Missing mandatory column: Email"):
            import_job_set_mapping(msp=msp, job=job, actor=user, mapping={int(i): k for i, k in job.mapping.items()},
                                   source_format="")
        upn = job.headers.index("User principal name")
        job = import_job_set_mapping(msp=msp, job=job, actor=user, source_format="",
                                     mapping={**{int(i): k for i, k in job.mapping.items()}, upn: "email"})
        assert job.source_format == "" and job.mapping[str(upn)] == "email"


@pytest.mark.parametrize("content", [
    b"BEGIN:VCARD\r\nN;ENCODING=QUOTED-PRINTABLE;CHARSET=X-NOPE:=FF=FE;=ZZ\r\nEMAIL;TYPE=\"a,b\r\n",  # no END
    b"BEGIN:VCARD\nEND:VCARD\nEND:VCARD\nBEGIN:VCARD\n \n\tfolded\nTEL;CELL\n",
    b"\xef\xbb\xbfBEGIN:VCARD\r\nVERSION:3.0\r\nFN:\\\\;\\,\\n\r\nEMAIL:a@b.example\r\nORG:;;;\r\nEND:VCARD",
    "BEGIN:VCARD\r\nFN:Zoë\r\nEMAIL:zoe@x.example\r\nEND:VCARD\r\n".encode("utf-16"),
])
def test_mangled_vcards_never_break_the_job(msp, run_import, content):
    job = run_import("contacts", content, name="mangled.vcf")
    assert job.status in ("succeeded", "failed")
    if job.status == "failed":
        assert job.error_message
