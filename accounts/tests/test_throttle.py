"""Issue 13, item 5: brute-force limits on staff sign-in and password reset (Redis)."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD
from opsmerge import ratelimit

pytestmark = pytest.mark.django_db

LOGIN = "accounts:login"


def _fail(client, email, n, **extra):
    for _ in range(n):
        response = client.post(reverse(LOGIN), {"login": email, "password": "wrong"}, **extra)
        assert response.status_code == 200
    return response


def test_lockout_after_ten_wrong_passwords_refuses_even_the_right_one(client, user):
    response = _fail(client, user.email, 9)
    assert "match an account" in response.content.decode()
    assert client.post(reverse(LOGIN), {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 302
    client.logout()
    # the success reset the per-account counter: ten more wrong ones are needed
    _fail(client, user.email.upper(), 10)
    response = client.post(reverse(LOGIN), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too many sign-in attempts. Try again in 15 minutes." in body
    assert "_auth_user_id" not in client.session


def test_lockout_emails_the_user_once(client, user):
    _fail(client, user.email, 12)
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "paused" in mail.outbox[0].subject


def test_unknown_email_gets_the_same_answers(client, user):
    known = _fail(client, user.email, 11).content.decode()
    unknown = _fail(client, "nobody@nowhere.example", 11).content.decode()
    assert "Too many sign-in attempts" in known and "Too many sign-in attempts" in unknown
    assert mail.outbox and all(m.to == [user.email] for m in mail.outbox)


def test_lockout_leaves_the_users_other_sessions_signed_in(client, user, django_user_model):
    from django.test import Client

    other_device = Client()
    other_device.force_login(user)
    _fail(client, user.email, 15)
    assert other_device.get(reverse("clients:list")).status_code == 200


def test_per_ip_limit_spans_emails(client, settings, user):
    settings.AUTH_THROTTLE = {"signin-ip": {"attempts": 5, "window": 600}}
    for i in range(5):
        _fail(client, f"guess{i}@nowhere.example", 1)
    response = client.post(reverse(LOGIN), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert "Too many sign-in attempts. Try again in 10 minutes." in response.content.decode()
    # another IP still signs in
    response = client.post(reverse(LOGIN), {"login": user.email, "password": DEFAULT_PASSWORD},
                           REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302


def test_trusted_proxy_header_is_used_only_when_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert ratelimit.client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert ratelimit.client_ip(request) == "203.0.113.7"


def test_password_reset_is_limited_per_email_without_revealing_accounts(client, user):
    url = reverse("accounts:password_reset")
    for email in (user.email, "nobody@nowhere.example"):
        for _ in range(5):
            assert client.post(url, {"email": email}, REMOTE_ADDR=f"10.0.0.{len(email)}").status_code == 302
        response = client.post(url, {"email": email}, REMOTE_ADDR=f"10.0.0.{len(email)}")
        assert response.status_code == 200
        assert "Too many reset requests. Try again in 60 minutes." in response.content.decode()
    assert len(mail.outbox) == 5


def test_redis_down_lets_sign_in_through(client, user, monkeypatch, settings):
    import redis

    monkeypatch.setattr(ratelimit, "_client", redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    assert client.post(reverse(LOGIN), {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 302
