"""Abuse protection beyond the password limits (issue 13, item 5): second-factor codes
are limited per user and per IP, and a sign-in from a new browser emails the user."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.devices import COOKIE_NAME
from accounts.models import SignInDevice
from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory
from accounts.tests.mfa_helpers import enrol_totp, totp_code
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def _sign_in(client, user, **extra):
    return client.post(reverse("accounts:login"), {"login": user.email, "password": DEFAULT_PASSWORD}, **extra)


def test_a_new_browser_is_reported_and_a_known_one_is_not(user):
    first = Client(HTTP_USER_AGENT="Firefox on Linux")
    _sign_in(first, user)
    assert mail.outbox == []  # the first sign-in ever has nothing to compare with
    assert first.cookies[COOKIE_NAME]["httponly"]

    second = Client(HTTP_USER_AGENT="Chrome on Windows")
    _sign_in(second, user, REMOTE_ADDR="203.0.113.9")
    (notice,) = mail.outbox
    assert notice.to == [user.email] and "new sign-in" in notice.subject
    assert "Chrome on Windows" in notice.body and "203.0.113.9" in notice.body and "password" in notice.body

    first.post(reverse("accounts:logout"))  # (Client.logout() would drop every cookie)
    _sign_in(first, user)  # the same browser again: known
    assert len(mail.outbox) == 1
    with msp_scope(user.msp):
        assert SignInDevice.objects.filter(msp=user.msp, user=user).count() == 2
        token = first.cookies[COOKIE_NAME].value
        assert not SignInDevice.objects.filter(msp=user.msp, token_hash=token).exists()  # only the hash is stored


def test_another_users_device_cookie_does_not_count(user, make_user):
    browser = Client()
    _sign_in(browser, user)
    other = make_user()
    _sign_in(Client(), other)  # the other user's first device
    browser.post(reverse("accounts:logout"))
    _sign_in(browser, other)  # this browser is known for `user`, not for `other`
    assert [m.to for m in mail.outbox] == [[other.email]]


def test_wrong_codes_are_limited_per_user_and_the_user_is_told(client, settings):
    settings.AUTH_THROTTLE = {"mfa-account": {"attempts": 3, "window": 600}}
    user = UserFactory(msp=MspFactory(require_mfa=True))
    secret = enrol_totp(user)
    signed_in_elsewhere = Client()
    signed_in_elsewhere.force_login(user)
    _sign_in(client, user)
    mail.outbox.clear()
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    for _ in range(3):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    errors = str(response.context["form"].errors)
    assert "Too many codes tried" in errors and "minute" in errors
    assert client.get(reverse("clients:list")).status_code == 302  # the right code did not get through
    assert [m.to for m in mail.outbox] == [[user.email]] and "two-step sign-in paused" in mail.outbox[0].subject
    assert signed_in_elsewhere.get(reverse("clients:list")).status_code == 200  # other sessions untouched


def test_password_reset_mail_is_queued_not_sent_in_the_request(client, user, monkeypatch):
    from accounts import tasks

    queued = []
    monkeypatch.setattr(tasks.auth_email_send, "delay", lambda **kwargs: queued.append(kwargs))
    assert client.post(reverse("accounts:password_reset"), {"email": user.email}).status_code == 302
    assert mail.outbox == [] and queued[0]["to"] == [user.email] and "/accounts/reset/" in queued[0]["body"]
