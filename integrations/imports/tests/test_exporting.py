import csv
import io

import pytest
from openpyxl import load_workbook

from clients.models import Client
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.imports.columns import headers_for
from integrations.imports.exporting import export_response, neutralise

pytestmark = pytest.mark.django_db


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_neutralise_formula_triggers():
    for bad in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("Acme") == "Acme"
    assert neutralise("") == ""


def test_csv_export_streams_inside_its_own_scope(msp):
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        client = ClientFactory(msp=msp, name="=HYPERLINK(\"http://evil\")")
        ClientDomainFactory(msp=msp, client=client, domain="evil.example")
        ContactFactory(msp=msp, client=client, first_name="@Ann", last_name="Lee", email="ann@evil.example",
                       is_primary=True)
        response = export_response(msp=msp, kind="clients", queryset=Client.objects.filter(msp=msp), fmt="csv")
    rows = _csv_rows(response)  # consumed outside any scope, like the WSGI server does
    assert rows[0] == headers_for("clients")
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][1] == "'@Ann"
    assert rows[1][13] == "evil.example"


def test_xlsx_export_cells_are_text(msp):
    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        ContactFactory(msp=msp, first_name="=cmd|' /C calc'!A0", last_name="X", email="x@y.example", phone="+4420")
        response = export_response(msp=msp, kind="contacts", queryset=Contact.objects.filter(msp=msp), fmt="xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == headers_for("contacts")
    assert rows[1][0].startswith("'=")
    assert rows[1][4] == "'+4420"
