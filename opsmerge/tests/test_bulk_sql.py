"""The set-based writes of opsmerge.bulk_sql: one MSP per statement, updated_at as save() sets it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import MspFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge import bulk_sql
from opsmerge.tenancy import msp_scope, unscoped

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(msp):
    other = MspFactory()
    with msp_scope(other):
        foreign = ContactFactory(msp=other, first_name="Foreign")
    with msp_scope(msp):
        mine = ContactFactory.create_batch(2, msp=msp, first_name="Mine")
    old = timezone.now() - timedelta(days=3)
    with unscoped("test setup"):
        Contact.objects.filter(pk__in=[foreign.pk, *(c.pk for c in mine)]).update(updated_at=old)
    return mine, foreign, old


def _row(pk):
    with unscoped("test check"):
        return Contact.objects.values("first_name", "custom_fields", "updated_at").get(pk=pk)


def test_update_rows_writes_each_rows_values_only_in_the_msp_and_touches_updated_at(msp, contacts):
    (a, b), foreign, old = contacts
    rows = [(a.pk, {"first_name": "Ann", "custom_fields": {"x": 1}}), (b.pk, {"first_name": "Bob", "custom_fields": {}}),
            (foreign.pk, {"first_name": "Leak", "custom_fields": {}})]
    assert bulk_sql.update_rows(Contact, rows, ["first_name", "custom_fields"], msp_id=msp.pk) == 2
    assert _row(a.pk)["first_name"] == "Ann" and _row(a.pk)["custom_fields"] == {"x": 1}
    assert _row(b.pk)["first_name"] == "Bob" and _row(b.pk)["updated_at"] > old
    assert _row(foreign.pk) == {"first_name": "Foreign", "custom_fields": {}, "updated_at": old}


def test_update_ids_sets_the_same_values_only_in_the_msp(msp, contacts):
    (a, b), foreign, old = contacts
    assert bulk_sql.update_ids(Contact, [a.pk, foreign.pk], {"first_name": "Same"}, msp_id=msp.pk) == 1
    assert _row(a.pk)["first_name"] == "Same" and _row(a.pk)["updated_at"] > old
    assert _row(b.pk)["first_name"] == "Mine" and _row(foreign.pk)["first_name"] == "Foreign"


def test_insert_rows_returns_the_new_ids_in_order_with_defaults(msp, contacts):
    (a, _), _, _ = contacts
    ids = bulk_sql.insert_rows(Contact, [{"msp_id": msp.pk, "client": a.client_id, "first_name": f"New{i}"}
                                         for i in range(3)])
    assert [_row(pk)["first_name"] for pk in ids] == ["New0", "New1", "New2"]
    assert _row(ids[0])["custom_fields"] == {}
