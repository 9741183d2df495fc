import pytest

from clients.tests.factories import ClientFactory
from contacts.models import Contact, ContactTag
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope

from .conftest import csv_bytes, errors_of

pytestmark = pytest.mark.django_db

HEAD = ["FirstName", "LastName", "Email", "ClientName", "Phone", "Primary", "Tags"]


@pytest.fixture
def acme(msp):
    with msp_scope(msp):
        return ClientFactory(msp=msp, name="Acme Ltd")


def contacts(msp):
    with msp_scope(msp):
        return list(Contact.objects.filter(msp=msp).order_by("email").values_list("email", "first_name", "client__name"))


def test_creates_updates_and_reports_rows(msp, acme, run_import):
    content = csv_bytes([
        HEAD,
        ["Ann", "Lee", "Ann@Acme.example", "acme  ltd", "+44 20 7946 0000", "yes", "vip, finance"],
        ["Bob", "", "bob@acme", "Acme Ltd", "", "", ""],
        ["Cat", "Poe", "cat@acme.example", "Nope Inc", "", "", ""],
        ["Ann2", "Lee", "ann@acme.example", "", "", "", ""],
        ["Dan", "Day", "dan@acme.example", "Acme Ltd", "call me", "maybe", ""],
    ])
    job = run_import("contacts", content)
    assert job.status == "succeeded", job.error_message
    assert (job.created, job.failed) == (1, 4)
    errors = errors_of(job)
    assert (3, "Email", "bob@acme", "Not a valid email address.") in errors
    assert (4, "ClientName", "Nope Inc", "No client called “Nope Inc”: create it first or fix the name.") in errors
    assert any(e[0] == 5 and e[1] == "Email" and "Same email as row 2" in e[3] for e in errors)
    assert (6, "Phone", "call me", "Not a phone number.") in errors
    assert (6, "Primary", "maybe", "Use yes or no.") in errors
    with msp_scope(msp):
        ann = Contact.objects.get(msp=msp, email="ann@acme.example")
        assert ann.client == acme and ann.is_primary and ann.source == "import"
        assert sorted(ann.tags.values_list("name", flat=True)) == ["finance", "vip"]
        assert AuditEvent.objects.filter(msp=msp, action="import.run").count() == 1


def test_reimport_changes_nothing_and_modes(msp, acme, run_import):
    content = csv_bytes([HEAD, ["Ann", "Lee", "ann@acme.example", "Acme Ltd", "", "yes", "vip"],
                         ["Bob", "Ray", "bob@acme.example", "Acme Ltd", "", "", ""]])
    first = run_import("contacts", content)
    assert first.created == 2
    before = contacts(msp)
    again = run_import("contacts", content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert contacts(msp) == before

    changed = csv_bytes([HEAD, ["Annie", "Lee", "ANN@acme.example", "Acme Ltd", "", "", ""],
                         ["Eve", "Fox", "eve@acme.example", "Acme Ltd", "", "", ""]])
    create_only = run_import("contacts", changed, mode="create")
    assert (create_only.created, create_only.skipped, create_only.updated) == (1, 1, 0)
    update_only = run_import("contacts", csv_bytes([HEAD, ["Annie", "Lee", "ann@acme.example", "", "", "", ""],
                                                   ["Zed", "Zo", "zed@acme.example", "", "", "", ""]]), mode="update")
    assert (update_only.updated, update_only.skipped, update_only.created) == (1, 1, 0)
    with msp_scope(msp):
        assert Contact.objects.get(msp=msp, email="ann@acme.example").first_name == "Annie"
        assert not Contact.objects.filter(msp=msp, email="zed@acme.example").exists()


def test_primary_moves_and_dry_run_writes_nothing(msp, acme, run_import):
    with msp_scope(msp):
        old = ContactFactory(msp=msp, client=acme, email="old@acme.example", is_primary=True)
    content = csv_bytes([HEAD, ["New", "Boss", "new@acme.example", "Acme Ltd", "", "yes", "x"]])
    dry = run_import("contacts", content, dry_run=True)
    assert (dry.status, dry.created) == ("succeeded", 1)
    with msp_scope(msp):
        assert not Contact.objects.filter(msp=msp, email="new@acme.example").exists()
        assert not ContactTag.objects.filter(msp=msp).exists()
        assert not AuditEvent.objects.filter(msp=msp, action="import.run").exists()
    run_import("contacts", content)
    with msp_scope(msp):
        old.refresh_from_db()
        assert not old.is_primary
        assert Contact.objects.get(msp=msp, email="new@acme.example").is_primary


def test_missing_mandatory_columns_named_once(msp, user):
    from django.core.files.base import ContentFile

    from integrations.imports.services import import_job_create, mapping_errors

    with msp_scope(msp):
        job = import_job_create(msp=msp, actor=user, upload=ContentFile(b"Name,Phone\nA,1\n", name="x.csv"),
                                kind="contacts")
        errors = mapping_errors(kind="contacts", mapping={int(i): k for i, k in job.mapping.items()})
    assert errors == ["Missing mandatory columns: FirstName, LastName, Email. Map a column of your file to each "
                      "of them."]
