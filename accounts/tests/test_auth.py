"""Staff sign-in by email + password, and password reset by email."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_by_email_case_insensitively(client, user):
    response = client.post(reverse("accounts:login"), {"login": user.email.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("clients:list")).status_code == 200


def test_wrong_password_says_so_without_revealing_the_account(client, user):
    for email in (user.email, "nobody@nowhere.example"):
        response = client.post(reverse("accounts:login"), {"login": email, "password": "wrong"})
        assert response.status_code == 200
        assert "match an account" in response.content.decode()


def test_pages_need_a_signed_in_user(client):
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_password_reset_by_email_end_to_end(client, user):
    response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https?://[^\s\"<]+/accounts/reset/[^\s\"<]+", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-much-better-pass-42",
                                                         "new_password2": "a-much-better-pass-42"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-pass-42")
    assert "no longer works" in client.get(path, follow=True).content.decode()  # single use


def test_reset_for_unknown_address_looks_the_same_and_sends_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.browser
def test_sign_in_page_in_the_browser(chromium_context, live_server, transactional_db):
    from accounts.roles import Role
    from accounts.tests.factories import MspFactory, UserFactory
    from testing.browser import screenshot

    UserFactory(msp=MspFactory(name="Northwind IT", slug="northwind-signin"), role=Role.TECHNICIAN,
                email="tom@northwind.example", full_name="Tom Tech")
    page = chromium_context.new_page()
    page.goto("/accounts/login/")
    screenshot(page, "sign-in")
    page.fill("input[name=login]", "tom@northwind.example")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".alert").count() == 1
    screenshot(page, "sign-in-error")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/clients/**")
    assert page.locator(".sidebar-brand").inner_text().startswith("N")
