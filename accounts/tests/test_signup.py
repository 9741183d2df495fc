"""MSP self-service sign-up with email verification before first use (issue 13, item 1)."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import Msp, User
from accounts.roles import Role

pytestmark = pytest.mark.django_db

SIGN_UP = {"msp_name": "Harbour Tech", "full_name": "Hana Owner", "email": "Hana@Harbour.example",
           "password1": "a-long-and-unusual-passphrase-7"}


def _link(message) -> str:
    return re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_sign_up_creates_the_msp_and_its_super_admin_and_asks_to_verify(client):
    response = client.post(reverse("account_signup"), SIGN_UP)
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="hana@harbour.example")
    assert user.role == Role.SUPER_ADMIN and user.full_name == "Hana Owner"
    msp = user.msp
    assert (msp.name, msp.signup_email, msp.require_mfa) == ("Harbour Tech", "hana@harbour.example", True)
    assert msp.slug == "harbour-tech"
    assert client.get(reverse("clients:list")).status_code == 302  # not signed in before verification
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hana@harbour.example"]


def test_no_sign_in_before_the_email_is_verified_then_verify_and_enrol(client):
    client.post(reverse("account_signup"), SIGN_UP)
    link = _link(mail.outbox[0])
    fresh = type(client)()
    response = fresh.post(reverse("accounts:login"), {"login": SIGN_UP["email"], "password": SIGN_UP["password1"]})
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    assert fresh.get(reverse("clients:list")).status_code == 302

    assert client.post(link).status_code == 302  # confirm (POST: mail scanners' GETs confirm nothing)
    response = client.get(reverse("clients:list"))  # signed in by the confirmation, sent to MFA set-up
    assert response.status_code == 302 and response.url == reverse("mfa_index")


def test_email_already_registered_gets_the_same_answer(client, user):
    response = client.post(reverse("account_signup"), {**SIGN_UP, "email": user.email})
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    assert Msp.objects.filter(name="Harbour Tech").count() == 0
    assert mail.outbox[0].to == [user.email]  # the owner of the address is told, nobody else


def test_bad_input_is_reported_on_the_fields_and_writes_nothing(client):
    response = client.post(reverse("account_signup"), {**SIGN_UP, "msp_name": "", "password1": "short"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "msp_name" in errors and "password1" in errors
    assert not Msp.objects.filter(signup_email="hana@harbour.example").exists()


def test_slugs_stay_unique(client):
    from accounts.services import msp_sign_up

    first = msp_sign_up(msp_name="Harbour Tech", full_name="A", email="a@x.example", password="pw-1-long-enough")
    second = msp_sign_up(msp_name="Harbour Tech", full_name="B", email="b@x.example", password="pw-1-long-enough")
    assert first.msp.slug != second.msp.slug


@override_settings(OPSMERGE_SIGNUP_ENABLED=False)
def test_sign_up_can_be_switched_off(client):
    response = client.get(reverse("account_signup"))
    assert "Sign-up is closed" in response.content.decode()
    client.post(reverse("account_signup"), SIGN_UP)
    assert not User.objects.filter(email="hana@harbour.example").exists()
    assert "Create your MSP" not in client.get(reverse("accounts:login")).content.decode()


def test_existing_users_without_an_email_record_sign_in_directly(client, user):
    """Invited / demo / admin-made users have no allauth EmailAddress row: no verification step."""
    from accounts.tests.factories import DEFAULT_PASSWORD

    response = client.post(reverse("accounts:login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.url == "/"
