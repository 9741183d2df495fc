"""Issue 13 "done when", in Chromium: an admin invites a technician, who accepts from
the emailed link (name + password) and lands signed in; promoted to MSP Admin they
make an API key; deactivation then throws their live browser session out on its next
request and the API refuses their key at once."""

import pytest
import requests
from django.core import mail

from testing.browser import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "Plum-orchard-Sunrise-81"


def _api_status(url: str, token: str) -> int:
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


@pytest.mark.django_db(transaction=True)
def test_invite_accept_then_deactivation_ends_session_and_api_key(signed_in_page, chromium, live_server):
    from accounts.models import User
    from accounts.tests.factories import TechGroupFactory
    from opsmerge.tenancy import msp_scope

    admin_page = signed_in_page()
    msp = admin_page.user.msp
    TechGroupFactory(msp=msp, name="Service desk")

    # 1. The admin invites a technician from Settings → Team.
    admin_page.goto(live_server.url + "/settings/")
    admin_page.click("text=Team")
    admin_page.click("text=Invite someone")
    admin_page.fill("input[name=email]", "tia@northwind.example")
    admin_page.select_option("select[name=role]", "technician")
    admin_page.check("label:has-text('Service desk') input")
    screenshot(admin_page, "team-invite-form")
    admin_page.click("button:has-text('Send invite')")
    admin_page.wait_for_selector("[data-invite='tia@northwind.example']")
    screenshot(admin_page, "team-list-with-invite")

    # 2. The technician opens the link from the outbox email in their own browser.
    [message] = [m for m in mail.outbox if m.to == ["tia@northwind.example"]]
    link = next(line for line in message.body.splitlines() if "/accounts/invite/" in line).strip()
    path = link[link.index("/accounts/invite/"):]
    tech_context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    tech_context.set_default_timeout(15_000)
    try:
        tech = tech_context.new_page()
        tech.goto(live_server.url + path)
        assert "Join Northwind IT" in tech.inner_text("h1")
        tech.fill("input[name=first_name]", "Tia")
        tech.fill("input[name=last_name]", "Tech")
        tech.fill("input[name=password1]", PASSWORD)
        tech.fill("input[name=password2]", PASSWORD)
        screenshot(tech, "team-invite-accept")
        tech.click("button:has-text('Join and sign in')")
        tech.wait_for_selector(".user-name:has-text('Tia Tech')")  # signed in, inside the app
        screenshot(tech, "team-invite-landed")
        member = User.objects.get(email="tia@northwind.example")
        assert member.msp_id == msp.pk and member.role == "technician"
        with msp_scope(msp):
            assert list(member.tech_groups.values_list("name", flat=True)) == ["Service desk"]

        # 3. The admin promotes them; they create an API key in their browser.
        admin_page.goto(f"{live_server.url}/settings/team/{member.pk}/")
        admin_page.select_option("select[name=role]", "msp_admin")
        admin_page.click("button:has-text('Save')")
        admin_page.wait_for_selector(".toast:has-text('Saved')")
        tech.goto(live_server.url + "/settings/api-keys/")
        tech.fill("input[name=name]", "Tia's script")
        tech.select_option("select[name=role]", "read_only")
        tech.click("button:has-text('Create key')")
        # Step-up (helper "auth"): creating a key asks for the password again, then goes on.
        tech.wait_for_selector("input[name=password]")
        tech.fill("input[name=password]", PASSWORD)
        tech.press("input[name=password]", "Enter")
        token = tech.input_value("[data-api-token]")
        api_url = live_server.url + "/api/v1/clients/"
        assert _api_status(api_url, token) == 200

        # 4. Deactivation: the live session and the key stop at once.
        tech.goto(live_server.url + "/clients/")
        admin_page.goto(f"{live_server.url}/settings/team/{member.pk}/")
        screenshot(admin_page, "team-member")
        admin_page.once("dialog", lambda dialog: dialog.accept())
        admin_page.click("[data-deactivate]")
        admin_page.wait_for_selector(".toast:has-text('deactivated')")
        screenshot(admin_page, "team-member-deactivated")

        tech.goto(live_server.url + "/clients/")  # their next request
        assert "/accounts/login/" in tech.url
        assert _api_status(api_url, token) in (401, 403)
    finally:
        tech_context.close()


@pytest.mark.django_db(transaction=True)
def test_own_sessions_and_password_change(chromium, live_server):
    """Sign in through the form in two browsers; one signs the other out, then changes its password."""
    from accounts.roles import Role
    from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory

    msp = MspFactory(name="Northwind IT", slug="northwind-sessions")
    user = UserFactory(msp=msp, role=Role.TECHNICIAN, email="sam@northwind.example", full_name="Sam Support")
    contexts = [chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800},
                                     user_agent=agent) for agent in ("Laptop Chromium", "Phone Browser")]
    try:
        laptop, phone = (context.new_page() for context in contexts)
        for page in (laptop, phone):
            page.goto(live_server.url + "/accounts/login/")
            page.fill("input[name=login]", user.email)
            page.fill("input[name=password]", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector(".user-name:has-text('Sam Support')")
        laptop.click(".user-menu summary")
        laptop.click("text=Your sessions")
        table = laptop.inner_text("[data-sessions]")
        assert "Laptop Chromium" in table and "Phone Browser" in table
        screenshot(laptop, "account-sessions")
        laptop.click("[data-sign-out-others]")
        laptop.wait_for_selector(".toast:has-text('Signed out of 1 other session')")
        phone.goto(live_server.url + "/clients/")
        assert "/accounts/login/" in phone.url

        laptop.goto(live_server.url + "/accounts/password/change/")
        laptop.fill("input[name=old_password]", DEFAULT_PASSWORD)
        laptop.fill("input[name=new_password1]", PASSWORD)
        laptop.fill("input[name=new_password2]", PASSWORD)
        screenshot(laptop, "account-password-change")
        laptop.click("button:has-text('Change password')")
        laptop.wait_for_selector(".toast:has-text('Your password is changed')")
        laptop.goto(live_server.url + "/clients/")
        assert "/accounts/login/" not in laptop.url
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
    finally:
        for context in contexts:
            context.close()
