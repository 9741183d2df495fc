import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clients.tests.factories import ClientFactory
from contacts.models import Contact
from contacts.services import contact_create, contact_make_primary, contact_update
from contacts.signals import portal_access_changed
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def test_email_unique_per_client_case_insensitive(scoped):
    client = ClientFactory(msp=scoped)
    contact_create(msp=scoped, client=client, first_name="Ann", email="ann@acme.com")
    with pytest.raises(ValidationError) as exc:
        contact_create(msp=scoped, client=client, first_name="Ann", email="ANN@acme.com")
    assert "already a contact" in exc.value.message_dict["email"][0]
    other = ClientFactory(msp=scoped)
    contact_create(msp=scoped, client=other, first_name="Ann", email="ann@acme.com")  # other client is fine


def test_deleted_contact_frees_its_email(scoped):
    client = ClientFactory(msp=scoped)
    deleted = ContactFactory(msp=scoped, client=client, email="ann@acme.com", deleted_at="2026-01-01T00:00:00Z")
    fresh = contact_create(msp=scoped, client=client, first_name="Ann", email="ann@acme.com")
    assert fresh.pk != deleted.pk and fresh.email == "ann@acme.com" and fresh.deleted_at is None
    assert set(Contact.objects.filter(client=client, email="ann@acme.com").values_list("pk", flat=True)) == {
        deleted.pk, fresh.pk}
    with pytest.raises(ValidationError):  # a second live one is still refused
        contact_create(msp=scoped, client=client, first_name="Ann", email="ann@acme.com")


def test_primary_moves_atomically(scoped):
    client = ClientFactory(msp=scoped)
    first = contact_create(msp=scoped, client=client, first_name="A", is_primary=True)
    second = contact_create(msp=scoped, client=client, first_name="B")
    contact_make_primary(msp=scoped, contact=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)


def test_database_allows_one_primary_per_client(scoped):
    from django.db import IntegrityError

    client = ClientFactory(msp=scoped)
    ContactFactory(msp=scoped, client=client, is_primary=True)
    with pytest.raises(IntegrityError):
        ContactFactory(msp=scoped, client=client, is_primary=True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_make_primary_leaves_exactly_one(msp):
    with msp_scope(msp):
        client = ClientFactory(msp=msp)
        contacts = [contact_create(msp=msp, client=client, first_name=f"P{i}") for i in range(4)]
    barrier = threading.Barrier(len(contacts))
    errors = []

    def make(contact):
        try:
            with msp_scope(msp):
                barrier.wait()
                contact_make_primary(msp=msp, contact=contact)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=make, args=(c,)) for c in contacts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with msp_scope(msp):
        assert Contact.objects.filter(client=client, is_primary=True).count() == 1


def test_primary_needs_a_client(scoped):
    with pytest.raises(ValidationError) as exc:
        contact_create(msp=scoped, client=None, first_name="Solo", is_primary=True)
    assert "is_primary" in exc.value.message_dict


def test_person_links_to_organisation_of_same_msp_only(scoped, two_msps):
    org = contact_create(msp=scoped, kind=Contact.Kind.ORGANISATION, organisation_name="Acme Accounting LLP")
    person = contact_create(msp=scoped, first_name="Pat", organisation=org)
    assert person.organisation == org
    _alpha, bravo = two_msps
    with pytest.raises(ValidationError):
        contact_update(msp=scoped, contact=person, organisation=bravo.objects["contact"])


def test_archived_client_receives_no_new_contacts(scoped):
    client = ClientFactory(msp=scoped, status="archived", archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(ValidationError) as exc:
        contact_create(msp=scoped, client=client, first_name="Late")
    assert "archived" in exc.value.message_dict["client"][0]


@pytest.mark.django_db(transaction=True)
def test_portal_access_signal_fires_after_commit(msp):
    seen = []

    def receiver(sender, contact, granted, **kwargs):
        seen.append((contact.pk, granted))

    portal_access_changed.connect(receiver)
    try:
        with msp_scope(msp):
            client = ClientFactory(msp=msp)
            contact = contact_create(msp=msp, client=client, first_name="P", email="p@x.com", is_portal_user=True)
            contact_update(msp=msp, contact=contact, is_active=False)
    finally:
        portal_access_changed.disconnect(receiver)
    assert seen == [(contact.pk, True), (contact.pk, False)]
