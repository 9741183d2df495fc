"""MFA (TOTP, recovery codes), "require MFA for everyone" and step-up (issue 13, item 3)."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory
from accounts.tests.mfa_helpers import enrol_totp, recovery_codes, step_up, totp_code

pytestmark = pytest.mark.django_db


def _sign_in(client, user):
    return client.post(reverse("accounts:login"), {"login": user.email, "password": DEFAULT_PASSWORD})


def test_require_mfa_sends_an_unenrolled_user_to_set_up_then_lets_them_in(client):
    user = UserFactory(msp=MspFactory(require_mfa=True))
    assert _sign_in(client, user).status_code == 302
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302 and response.url == reverse("mfa_index")
    assert client.get("/api/v1/clients/").status_code == 403
    assert client.get(reverse("mfa_index")).status_code == 200

    page = client.get(reverse("mfa_activate_totp"))  # no step-up: they signed in moments ago
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000"
                                                          else "111111"})
    assert response.status_code == 200 and "code" in response.context["form"].errors
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("clients:list")).status_code == 200


def test_msps_that_do_not_require_mfa_let_users_in_without_it(client, user):
    assert user.msp.require_mfa is False
    _sign_in(client, user)
    assert client.get(reverse("clients:list")).status_code == 200


def test_sign_in_with_totp_asks_for_the_code_before_the_session_exists(client):
    user = UserFactory(msp=MspFactory(require_mfa=True))
    secret = enrol_totp(user)
    response = _sign_in(client, user)
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert client.get(reverse("clients:list")).status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("clients:list")).status_code == 200


def test_a_recovery_code_signs_in_once(client):
    user = UserFactory(msp=MspFactory(require_mfa=True))
    enrol_totp(user)
    code = recovery_codes(user)[0]
    _sign_in(client, user)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.logout()
    _sign_in(client, user)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200  # used up


def test_step_up_with_mfa_reenters_the_second_factor_and_replays_the_post(client):
    user = UserFactory(msp=MspFactory(require_mfa=True), role=Role.SUPER_ADMIN)
    enrol_totp(user)
    client.force_login(user)
    response = client.post("/settings/api-keys/", {"name": "PSA bridge", "role": Role.TECHNICIAN})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))
    # the password alone is not a step-up for a user with MFA
    password_page = client.get(reverse("account_reauthenticate"))
    assert password_page.status_code == 302 and password_page.url.startswith(reverse("mfa_reauthenticate"))
    response = client.post(response.url, {"code": recovery_codes(user)[0]})
    assert response.status_code == 200 and response.context["token"]  # the suspended POST, carried out
    # fresh for a while: the next creation goes straight through
    again = client.post("/settings/api-keys/", {"name": "Second", "role": Role.TECHNICIAN})
    assert again.status_code == 200 and again.context["token"]


def test_step_up_without_mfa_is_the_password(client, user):
    client.force_login(user)
    response = client.post("/settings/api-keys/", {"name": "PSA bridge", "role": Role.TECHNICIAN})
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
    step_up(client)
    assert client.post("/settings/api-keys/", {"name": "PSA bridge", "role": Role.TECHNICIAN}).status_code == 200


def test_mfa_changes_need_a_step_up(client):
    user = UserFactory(msp=MspFactory(require_mfa=True))
    enrol_totp(user)
    client.force_login(user)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    response = client.get(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))


def test_permanent_delete_needs_a_step_up(client):
    from clients.tests.factories import ClientFactory
    from opsmerge.tenancy import msp_scope

    user = UserFactory(msp=MspFactory(require_mfa=True), role=Role.SUPER_ADMIN)
    enrol_totp(user)
    client.force_login(user)
    with msp_scope(user.msp):
        doomed = ClientFactory(msp=user.msp, name="Initech", status="archived",
                               archived_at="2026-01-01T00:00:00Z")
    url = reverse("clients:delete", args=[doomed.pk])
    response = client.post(url, {"typed_name": "Initech"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))
    response = client.post(response.url, {"code": recovery_codes(user)[0]})
    assert response.status_code == 302 and response.url == reverse("clients:archived")
    with msp_scope(user.msp):
        assert not type(doomed).objects.filter(pk=doomed.pk).exists()


def test_admins_switch_require_mfa_after_a_step_up(client, user, make_user):
    from opsmerge.models import AuditEvent
    from opsmerge.tenancy import msp_scope

    enrol_totp(make_user(full_name="Tina Totp"))
    client.force_login(user)
    page = client.get(reverse("settings:security"))
    assert page.status_code == 200 and page.context["enrolled"] == 1 and "Tina Totp" in page.content.decode()
    response = client.post(reverse("settings:security"), {"require_mfa": "on"})
    assert response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate"))
    user.msp.refresh_from_db()
    assert user.msp.require_mfa is False
    response = client.post(response.url, {"password": DEFAULT_PASSWORD})  # the suspended POST is replayed
    user.msp.refresh_from_db()
    assert user.msp.require_mfa is True
    with msp_scope(user.msp):
        assert AuditEvent.objects.filter(msp=user.msp, action="msp.require_mfa").count() == 1
    assert client.get(reverse("clients:list")).url == reverse("mfa_index")  # now they must enrol too


def test_technicians_cannot_change_sign_in_security(client, make_user):
    client.force_login(make_user(role=Role.TECHNICIAN))
    assert client.get(reverse("settings:security")).status_code == 403
