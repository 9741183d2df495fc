"""Staff accounts in the browser (issue 13): sign-up → verify email (from the outbox) →
enrol TOTP → add a passkey (Chromium's virtual authenticator over CDP) → sign in with
it; lockout after repeated wrong passwords."""

import re

import pytest
from django.core import mail

from accounts.tests.mfa_helpers import totp_code
from testing.browser import screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def passkeys_on_http(settings):
    # The live server is plain http://localhost (a secure context for browsers; the
    # WebAuthn library checks https origins unless told otherwise).
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def _virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp


def test_sign_up_verify_enrol_totp_add_a_passkey_and_sign_in_with_it(chromium_context, live_server, transactional_db,
                                                                     passkeys_on_http):
    from accounts.models import User

    page = chromium_context.new_page()
    page.goto("/accounts/login/")
    page.click("text=Create your MSP’s account")
    page.fill("input[name=msp_name]", "Harbour Tech")
    page.fill("input[name=full_name]", "Hana Owner")
    page.fill("input[name=email]", "hana@harbour.example")
    page.fill("input[name=password1]", "a-long-and-unusual-passphrase-7")
    screenshot(page, "signup")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert "Check your email" in page.content()

    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    screenshot(page, "signup-confirm-email")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/")  # the MSP requires MFA: set-up first
    screenshot(page, "mfa-required")

    page.click("a[href='/accounts/2fa/totp/activate/']")
    secret = page.input_value("#authenticator_secret")
    screenshot(page, "mfa-totp-activate")
    page.fill("input[name=code]", totp_code(secret))
    page.click("main.page button[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    screenshot(page, "mfa-recovery-codes")
    page.goto("/clients/")
    assert page.locator(".sidebar-brand").inner_text().startswith("H")

    # sign out; sign in again: password, then the authenticator code
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "hana@harbour.example")
    page.fill("input[name=password]", "a-long-and-unusual-passphrase-7")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    screenshot(page, "sign-in-mfa-code")
    page.fill("input[name=code]", totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/" not in url)

    # a passkey: MFA changes need a step-up (the second factor again, here a recovery code)
    _virtual_authenticator(page)
    page.goto("/accounts/2fa/webauthn/add/")
    page.wait_for_url("**/accounts/2fa/reauthenticate/**")
    screenshot(page, "mfa-step-up")
    user = User.objects.get(email="hana@harbour.example")
    from allauth.mfa.models import Authenticator

    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    page.fill("input[name=code]", codes[0])
    page.click("main.page button[type=submit]")
    page.wait_for_url("**/accounts/2fa/webauthn/add/**")
    page.fill("input[name=name]", "Laptop passkey")
    page.check("input[name=passwordless]")
    screenshot(page, "mfa-passkey-add")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).count() == 1

    # sign out, then in with the passkey alone
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    screenshot(page, "sign-in-with-passkey-option")
    page.click("#passkey_login")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    page.goto("/clients/")
    assert page.locator(".user-name").inner_text() == "Hana Owner"


@pytest.fixture
def chromium_context_options():
    return {"ignore_https_errors": True}  # the Microsoft emulator's certificate comes from a test CA


def test_sign_in_with_microsoft_against_the_emulator(chromium_context, live_server, transactional_db, m365_emulator):
    import uuid

    from accounts.tests.factories import MspFactory, UserFactory

    tenant = m365_emulator.state.add_tenant("Brightwave IT", ["brightwave.example"])
    tenant.add("users", {"id": str(uuid.uuid4()), "displayName": "Tom Tech", "givenName": "Tom", "surname": "Tech",
                         "mail": "tom@brightwave.example", "userPrincipalName": "tom@brightwave.example",
                         "accountEnabled": True, "userType": "Member"})
    UserFactory(msp=MspFactory(name="Brightwave IT", slug="brightwave-ms"), email="tom@brightwave.example",
                full_name="Tom Tech")
    page = chromium_context.new_page()
    page.goto("/accounts/login/")
    screenshot(page, "sign-in-options")
    page.click("[data-microsoft-sign-in]")
    page.wait_for_url(f"{m365_emulator.base_url}/**")  # the emulator's account chooser
    page.click("text=tom@brightwave.example")
    page.wait_for_url(f"{live_server.url}/**")
    page.goto("/clients/")
    assert page.locator(".user-name").inner_text() == "Tom Tech"


def test_lockout_after_repeated_wrong_passwords(chromium_context, live_server, transactional_db, settings):
    from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory

    settings.AUTH_THROTTLE = {"signin-account": {"attempts": 3, "window": 600}}
    UserFactory(msp=MspFactory(name="Northwind IT", slug="northwind-lockout"), email="tom@northwind.example",
                full_name="Tom Tech")
    page = chromium_context.new_page()
    page.goto("/accounts/login/")
    for attempt in range(3):
        page.fill("input[name=login]", "tom@northwind.example")
        page.fill("input[name=password]", f"wrong-{attempt}")
        page.click("form.auth-form button[type=submit]")
        page.wait_for_load_state()
    page.fill("input[name=login]", "tom@northwind.example")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form.auth-form button[type=submit]")
    alert = page.locator(".alert").inner_text()
    assert "Too many sign-in attempts" in alert and re.search(r"try again in \d+ minutes?", alert, re.I)
    screenshot(page, "sign-in-locked-out")
    assert any("sign-in paused" in m.subject for m in mail.outbox)
