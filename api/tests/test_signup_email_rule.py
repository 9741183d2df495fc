"""Seed 004 leftover (issue 15): the MSP's sign-up email is never a client's primary
contact email — refused with a clear message in the new-client form, the contact form
(when primary), the API and both CSV imports (row + column: integrations/imports/tests/test_signup_email_rule.py)."""

import pytest
from django.urls import reverse

from accounts.models import Msp
from clients.models import Client
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope, unscoped

pytestmark = pytest.mark.django_db
OWNER = "owner@northwind.example"


@pytest.fixture(autouse=True)
def signup_email(msp):
    Msp.objects.filter(pk=msp.pk).update(signup_email=OWNER)
    msp.refresh_from_db()
    return OWNER


def test_new_client_form_refuses_it_on_the_contact_email_field(web):
    data = {"name": "Contoso", "status": "active", "contact_first_name": "Carla", "contact_last_name": "C",
            "contact_email": "Owner@Northwind.example", "site_name": "HQ", "time_zone": "Europe/London"}
    response = web.post(reverse("clients:create"), data)
    assert response.status_code == 200
    [message] = response.context["form"].errors["contact_email"]
    assert "signed up to OpsMerge with" in message and "client's own email" in message
    with unscoped("assert"):
        assert not Client.objects.filter(name="Contoso").exists()  # nothing half-written
    assert web.post(reverse("clients:create"), {**data, "contact_email": "carla@contoso.example"}).status_code == 302


def test_contact_form_refuses_it_only_for_the_primary_contact(web, msp):
    client = ClientFactory(msp=msp, name="Contoso")
    url = reverse("contacts:create")
    base = {"kind": "person", "client": client.pk, "first_name": "Own", "last_name": "Er", "email": OWNER,
            "is_active": "on"}
    response = web.post(url, {**base, "is_primary": "on"})
    assert response.status_code == 200 and "signed up to OpsMerge with" in str(response.context["form"].errors["email"])
    assert web.post(url, base).status_code == 302  # an ordinary contact may use it
    with msp_scope(msp):
        contact = Contact.objects.get(msp=msp, email=OWNER)
    edit = web.post(reverse("contacts:edit", kwargs={"pk": contact.pk}), {**base, "is_primary": "on"})
    assert edit.status_code == 200 and "email" in edit.context["form"].errors
    with msp_scope(msp):
        assert not Contact.objects.get(pk=contact.pk).is_primary


def test_api_refuses_it_on_the_email_attribute(api, msp):
    client = ClientFactory(msp=msp, name="Contoso")
    response = api.post("/api/v1/contacts/", {"client": client.pk, "first_name": "O", "email": OWNER,
                                              "is_primary": True}, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attr"] == "email" and "signed up to OpsMerge with" in error["detail"]
    contact = ContactFactory(msp=msp, client=client, email=OWNER, is_primary=False)
    patch = api.patch(f"/api/v1/contacts/{contact.pk}/", {"is_primary": True}, format="json")
    assert patch.status_code == 400 and patch.json()["errors"][0]["attr"] == "email"


def test_an_older_primary_contact_with_that_email_can_still_be_edited(msp, user):
    """A row from before the rule is not blocked on unrelated edits (phone, inactive)."""
    from contacts.services import contact_update

    client = ClientFactory(msp=msp, name="Contoso")
    legacy = ContactFactory(msp=msp, client=client, email=OWNER, is_primary=True)
    with msp_scope(msp):
        contact_update(msp=msp, contact=legacy, actor=user, phone="+44 20 7946 0000")
        assert Contact.objects.get(pk=legacy.pk).phone
