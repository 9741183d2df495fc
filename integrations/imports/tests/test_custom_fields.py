"""MSP-defined custom fields: export columns, automatic mapping, coercion with the
rules of clients.custom_fields, merge on update, round trip and templates."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.custom_fields import coerce_value
from clients.models import Client, CustomField
from clients.tests.factories import ClientFactory, CustomFieldFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.imports.columns import auto_mapping, headers_for
from integrations.imports.exporting import export_response
from opsmerge.tenancy import msp_scope
from sites.tests.factories import SiteFactory

from .conftest import csv_bytes, errors_of

pytestmark = pytest.mark.django_db
T = CustomField.Type


@pytest.fixture
def fields(msp):
    """Contact fields, created out of display order: position decides the column order."""
    with msp_scope(msp):
        return {
            "tier": CustomFieldFactory(msp=msp, applies_to="contact", key="tier", label="Support Tier",
                                       field_type=T.CHOICE, choices=["gold", "silver"], position=3),
            "seats": CustomFieldFactory(msp=msp, applies_to="contact", key="seats", label="Seats",
                                        field_type=T.NUMBER, position=1),
            "remote": CustomFieldFactory(msp=msp, applies_to="contact", key="remote", label="Works remotely",
                                         field_type=T.BOOLEAN, position=2),
            "since": CustomFieldFactory(msp=msp, applies_to="contact", key="since", label="Customer since",
                                        field_type=T.DATE, position=4),
            "note": CustomFieldFactory(msp=msp, applies_to="contact", key="note", label="Badge", position=5),
        }


def message(field, raw) -> str:
    """The plain message the forms and the API show for `raw` (never a second copy)."""
    with pytest.raises(ValidationError) as exc:
        coerce_value(field, raw)
    return " ".join(exc.value.messages)


def stored(msp, email):
    with msp_scope(msp):
        return Contact.objects.get(msp=msp, email=email).custom_fields


def export_body(msp, kind, model, fmt="csv") -> bytes:
    with msp_scope(msp):
        response = export_response(msp=msp, kind=kind, queryset=model.objects.filter(msp=msp), fmt=fmt)
    return b"".join(response.streaming_content)


def test_columns_follow_position_and_map_by_label_or_key(msp, fields):
    with msp_scope(msp):
        headers = headers_for("contacts", msp)
        assert headers == [*headers_for("contacts"), "Seats", "Works remotely", "Support Tier", "Customer since",
                           "Badge"]
        mapping = auto_mapping("contacts", ["email", "first name", "last", " SEATS ", "works-remotely", "TIER",
                                            "since"], msp=msp)
    assert mapping[3] == "custom:seats"  # label, any case and spacing
    assert mapping[4] == "custom:remote"
    assert mapping[5] == "custom:tier"  # key
    assert mapping[6] == "custom:since"


def test_label_clashing_with_a_builtin_header_gets_its_key(msp):
    with msp_scope(msp):
        CustomFieldFactory(msp=msp, applies_to="contact", key="dept_code", label="Department")
        headers = headers_for("contacts", msp)
        assert headers[-1] == "Department (dept_code)"
        mapping = auto_mapping("contacts", ["Department", "Department (dept_code)"], msp=msp)
    assert mapping == {0: "department", 1: "custom:dept_code"}


def test_import_coerces_values_and_reports_bad_ones(msp, fields, run_import):
    content = csv_bytes([
        ["FirstName", "LastName", "Email", "seats", "Works Remotely", "tier", "Customer Since", "badge"],
        ["Ann", "Lee", "ann@x.example", "12", "yes", "gold", "2024-02-29", "  A-1 "],
        ["Bo", "Ray", "bo@x.example", "twelve", "maybe", "bronze", "29/02/2024", "ok"],
        ["Cy", "Dee", "cy@x.example", "2.5", "", "", "", ""],
    ])
    job = run_import("contacts", content)
    assert (job.created, job.failed) == (2, 1), errors_of(job)
    assert stored(msp, "ann@x.example") == {"seats": 12, "remote": True, "tier": "gold", "since": "2024-02-29",
                                            "note": "A-1"}
    assert stored(msp, "cy@x.example") == {"seats": 2.5}
    assert errors_of(job) == [
        (3, "seats", "twelve", message(fields["seats"], "twelve")),
        (3, "Works Remotely", "maybe", message(fields["remote"], "maybe")),
        (3, "tier", "bronze", message(fields["tier"], "bronze")),
        (3, "Customer Since", "29/02/2024", message(fields["since"], "29/02/2024")),
    ]
    assert errors_of(job)[0][3] == "Seats must be a number."


def test_update_merges_blank_keeps_and_reimport_is_idempotent(msp, fields, run_import):
    with msp_scope(msp):
        ContactFactory(msp=msp, email="ann@x.example", first_name="Ann", last_name="Lee",
                       custom_fields={"seats": 3, "note": "keep", "retired_field": "kept too"})
    content = csv_bytes([["FirstName", "LastName", "Email", "Seats", "Support Tier", "Badge"],
                         ["Ann", "Lee", "ann@x.example", "", "silver", ""]])
    job = run_import("contacts", content)
    assert (job.updated, job.failed) == (1, 0), errors_of(job)
    assert stored(msp, "ann@x.example") == {"seats": 3, "note": "keep", "retired_field": "kept too",
                                            "tier": "silver"}
    again = run_import("contacts", content)
    assert (again.updated, again.unchanged) == (0, 1)
    # a value of another type is a change (True == 1 in Python, not in JSON)
    with msp_scope(msp):
        Contact.objects.filter(msp=msp).update(custom_fields={"seats": 3, "remote": 1})
    flipped = run_import("contacts", csv_bytes([["FirstName", "LastName", "Email", "Works remotely"],
                                                ["Ann", "Lee", "ann@x.example", "yes"]]))
    assert flipped.updated == 1
    assert stored(msp, "ann@x.example") == {"seats": 3, "remote": True}


def test_required_field_is_needed_for_new_records_only(msp, run_import):
    with msp_scope(msp):
        field = CustomFieldFactory(msp=msp, applies_to="contact", key="cost_centre", label="Cost centre",
                                   required=True)
        ContactFactory(msp=msp, email="old@x.example", first_name="Old", last_name="One")
    job = run_import("contacts", csv_bytes([["FirstName", "LastName", "Email"],
                                            ["Old", "Two", "old@x.example"], ["New", "One", "new@x.example"]]))
    assert (job.updated, job.created, job.failed) == (1, 0, 1)
    assert errors_of(job) == [(3, "", "", message(field, None))]
    mapped = run_import("contacts", csv_bytes([["FirstName", "LastName", "Email", "Cost centre"],
                                               ["New", "One", "new@x.example", ""],
                                               ["Neu", "Two", "neu@x.example", "CC-9"]]))
    assert (mapped.created, mapped.failed) == (1, 1)
    assert errors_of(mapped) == [(2, "Cost centre", "", "Cost centre is required.")]
    assert stored(msp, "neu@x.example") == {"cost_centre": "CC-9"}


def test_clients_import_creates_and_merges_custom_fields(msp, run_import):
    with msp_scope(msp):
        CustomFieldFactory(msp=msp, applies_to="client", key="sla", label="SLA hours", field_type=T.NUMBER)
        CustomFieldFactory(msp=msp, applies_to="client", key="managed", label="Managed", field_type=T.BOOLEAN,
                           position=1)
    head = [*headers_for("clients")[:6], "sla", "MANAGED"]
    first = run_import("clients", csv_bytes([head, ["Acme", "Ann", "Lee", "ann@acme.example", "HQ", "UTC", "8",
                                                    "no"]]))
    assert (first.created, first.failed) == (1, 0), errors_of(first)
    with msp_scope(msp):
        assert Client.objects.get(msp=msp).custom_fields == {"sla": 8, "managed": False}
    bad = run_import("clients", csv_bytes([head, ["Acme", "Ann", "Lee", "ann@acme.example", "HQ", "UTC", "4h",
                                                  ""]]))
    assert errors_of(bad) == [(2, "sla", "4h", "SLA hours must be a number.")]
    update = run_import("clients", csv_bytes([head, ["Acme", "Ann", "Lee", "ann@acme.example", "HQ", "UTC", "4",
                                                     ""]]))
    assert (update.updated, update.failed) == (1, 0), errors_of(update)
    with msp_scope(msp):
        assert Client.objects.get(msp=msp).custom_fields == {"sla": 4, "managed": False}
    assert run_import("clients", csv_bytes([head, ["Acme", "Ann", "Lee", "ann@acme.example", "HQ", "UTC", "4",
                                                   ""]])).unchanged == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_has_custom_columns_and_round_trips(msp, fields, run_import, fmt):
    with msp_scope(msp):
        CustomFieldFactory(msp=msp, applies_to="client", key="sla", label="SLA hours", field_type=T.NUMBER)
        acme = ClientFactory(msp=msp, name="Acme", time_zone="UTC", custom_fields={"sla": 0.5, "old": "x"})
        SiteFactory(msp=msp, client=acme, name="HQ", is_hq=True)
        ContactFactory(msp=msp, client=acme, email="a@acme.example", first_name="A", last_name="One",
                       is_primary=True, custom_fields={"seats": -4, "remote": False, "tier": "gold",
                                                       "since": "2020-01-31", "note": "=1+1"})
        ContactFactory(msp=msp, client=acme, email="b@acme.example", first_name="B", last_name="Two")
    body = export_body(msp, "contacts", Contact, fmt)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0][-5:] == ["Seats", "Works remotely", "Support Tier", "Customer since", "Badge"]
        by_email = {r[2]: r for r in rows[1:]}
        assert by_email["a@acme.example"][-5:] == ["'-4", "no", "gold", "2020-01-31", "'=1+1"]
        assert by_email["b@acme.example"][-5:] == ["", "", "", "", ""]
    exports = (("contacts", Contact, body), ("clients", Client, export_body(msp, "clients", Client, fmt)))
    for kind, model, exported in exports:
        again = run_import(kind, exported, name=f"export.{fmt}")
        assert (again.created, again.updated, again.failed, again.skipped) == (0, 0, 0, 0), errors_of(again)
        with msp_scope(msp):
            assert again.unchanged == model.objects.filter(msp=msp).count()
    assert stored(msp, "a@acme.example")["seats"] == -4
    with msp_scope(msp):
        assert Client.objects.get(msp=msp).custom_fields == {"sla": 0.5, "old": "x"}


def test_template_lists_only_this_msps_custom_fields(web, msp, fields):
    from accounts.tests.factories import MspFactory

    other = MspFactory()
    with msp_scope(other):
        CustomFieldFactory(msp=other, applies_to="contact", key="secret", label="Other MSP field")
    response = web.get(reverse("imports:template") + "?kind=contacts")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [*headers_for("contacts"), "Seats", "Works remotely", "Support Tier", "Customer since", "Badge"]
    sites = web.get(reverse("imports:template") + "?kind=sites")
    assert next(csv.reader(io.StringIO(sites.content.decode("utf-8-sig")))) == headers_for("sites")


def test_bulk_path_query_count_does_not_grow_with_rows(msp, fields, run_import):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(prefix, n):
        return [[f"F{i}", "L", f"{prefix}{i}@x.example", str(i), "yes", "gold"] for i in range(n)]

    head = ["FirstName", "LastName", "Email", "Seats", "Works remotely", "Support Tier"]
    counts = []
    for prefix, n in (("a", 5), ("b", 60)):
        run_import("contacts", csv_bytes([head, *rows(prefix, n)]))  # creates
        with CaptureQueriesContext(connection) as ctx:
            job = run_import("contacts", csv_bytes([head, *[[*r[:3], str(int(r[3]) + 1), "no", "silver"]
                                                            for r in rows(prefix, n)]]))  # updates
        assert job.updated == n, errors_of(job)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert stored(msp, "b59@x.example") == {"seats": 60, "remote": False, "tier": "silver"}
