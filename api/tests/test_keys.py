"""API keys: minted once, stored hashed, role-bound, expiring, revocable, rate
limited, and managed from Settings → API keys."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.mfa_helpers import step_up
from api.models import ApiKey
from api.services import api_key_authenticate, api_key_create, api_key_revoke, parse_token, roles_grantable_by
from clients.models import Client
from clients.tests.factories import ClientFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope, unscoped

from .conftest import issue_key


def bearer(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.mark.django_db
def test_token_is_stored_only_as_its_hash(user, msp):
    token = issue_key(user, name="RMM")
    with msp_scope(msp):
        key = ApiKey.objects.get(name="RMM")
    assert token.startswith(f"opsm_{msp.pk}_{key.prefix}_")
    assert len(token.split("_", 3)[3]) == 43  # 256 random bits, base64url
    assert key.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(ApiKey._base_manager.values_list()))
    with unscoped("test"):
        event = AuditEvent.objects.get(action="api_key.create")
    assert token not in str(event.changes)


@pytest.mark.django_db
def test_valid_key_authenticates_and_acts_with_its_role(user, msp):
    ClientFactory(msp=msp, name="Contoso")
    read_only = bearer(issue_key(user, role=Role.READ_ONLY))
    assert read_only.get("/api/v1/clients/").json()["count"] == 1
    response = read_only.post("/api/v1/clients/", {"name": "Nope"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"type": "client_error", "errors": [
        {"code": "permission_denied", "detail": "Your role cannot perform: client edit.", "attr": None}]}
    technician = bearer(issue_key(user, role=Role.TECHNICIAN))
    assert technician.post("/api/v1/clients/", {"name": "Yes"}, format="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nonsense", "Bearer opsm_1_abcdefgh_" + "x" * 43,
                                    "Token opsm_1_abcdefgh_" + "x" * 43, "Basic Zm9vOmJhcg=="])
def test_missing_or_malformed_credentials_are_401(header, msp):
    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/clients/")
    assert response.status_code in (401, 403)
    if header.startswith("Bearer "):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json()["errors"][0]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_wrong_secret_with_a_real_prefix_is_refused(user, msp):
    token = issue_key(user)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert api_key_authenticate(forged) is None
    assert bearer(forged).get("/api/v1/clients/").status_code == 401


@pytest.mark.django_db
def test_token_naming_another_msp_is_refused(user, two_msps):
    _alpha, bravo = two_msps
    token = issue_key(user)
    _, msp_id, prefix, secret = token.split("_", 3)
    assert api_key_authenticate(f"opsm_{bravo.msp.pk}_{prefix}_{secret}") is None
    assert parse_token(token) == (int(msp_id), prefix)


@pytest.mark.django_db
def test_revoked_and_expired_keys_are_refused(user, msp):
    token = issue_key(user, name="old")
    api = bearer(token)
    assert api.get("/api/v1/clients/").status_code == 200
    with msp_scope(msp):
        key = ApiKey.objects.get(name="old")
        api_key_revoke(msp=msp, key=key, actor=user)
        api_key_revoke(msp=msp, key=key, actor=user)  # idempotent
        assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1
    assert api.get("/api/v1/clients/").status_code == 401

    expiring = issue_key(user, name="soon", expires_at=timezone.now() + timedelta(hours=1))
    assert bearer(expiring).get("/api/v1/clients/").status_code == 200
    with msp_scope(msp):
        ApiKey.objects.filter(name="soon").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(expiring).get("/api/v1/clients/").status_code == 401


@pytest.mark.django_db
def test_last_used_is_recorded_at_most_once_a_minute(user, msp):
    api = bearer(issue_key(user, name="poller"))
    api.get("/api/v1/clients/")
    with msp_scope(msp):
        first = ApiKey.objects.get(name="poller").last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/clients/")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    with msp_scope(msp):
        ApiKey.objects.filter(name="poller").update(last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/v1/clients/")
    with msp_scope(msp):
        assert ApiKey.objects.get(name="poller").last_used_at > first


@pytest.mark.django_db
def test_rate_limit_per_key(user, msp):
    limited = bearer(issue_key(user, name="tight", rate_limit_per_minute=3))
    other = bearer(issue_key(user, name="other"))
    codes = [limited.get("/api/v1/clients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = limited.get("/api/v1/clients/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "throttled"
    assert other.get("/api/v1/clients/").status_code == 200  # limits are per key


@pytest.mark.django_db
def test_key_roles_cannot_exceed_the_creator(make_user, msp):
    admin = make_user(role=Role.ADMIN)
    assert Role.SUPER_ADMIN not in roles_grantable_by(admin)
    assert {Role.ADMIN, Role.TECHNICIAN, Role.READ_ONLY} <= set(roles_grantable_by(admin))
    with msp_scope(msp):
        with pytest.raises(ValidationError) as exc:
            api_key_create(msp=msp, actor=admin, name="root", role=Role.SUPER_ADMIN)
        assert "role" in exc.value.message_dict
        with pytest.raises(PermissionDenied):
            api_key_create(msp=msp, actor=make_user(role=Role.TECHNICIAN), name="t", role=Role.READ_ONLY)
        api_key_create(msp=msp, actor=admin, name="dup", role=Role.READ_ONLY)
        with pytest.raises(ValidationError) as exc:
            api_key_create(msp=msp, actor=admin, name="DUP", role=Role.READ_ONLY)
        assert "name" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            api_key_create(msp=msp, actor=admin, name="past", role=Role.READ_ONLY,
                           expires_at=timezone.now() - timedelta(days=1))
        assert "expires_at" in exc.value.message_dict


@pytest.mark.django_db
def test_key_writes_are_audited_by_key_name(user, msp):
    api = bearer(issue_key(user, name="Billing sync", role=Role.TECHNICIAN))
    assert api.post("/api/v1/clients/", {"name": "Via API"}, format="json").status_code == 201
    with msp_scope(msp):
        event = AuditEvent.objects.get(action="client.create")
        assert event.actor is None and event.actor_label == "API key “Billing sync”"
        assert Client.objects.get(name="Via API")


@pytest.mark.django_db
def test_session_auth_works_for_the_browser_and_enforces_csrf(web, user, msp):
    ClientFactory(msp=msp, name="Contoso")
    assert web.get("/api/v1/clients/").json()["count"] == 1
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post("/api/v1/clients/", {"name": "X"}, format="json").status_code == 403


# Settings → API keys -----------------------------------------------------------------


@pytest.mark.django_db
def test_settings_page_creates_a_key_and_shows_the_token_once(web, msp):
    page = web.get("/settings/api-keys/")
    assert page.status_code == 200 and b"New key" in page.content
    step_up(web)  # creating a key needs a fresh step-up (accounts.stepup)
    response = web.post("/settings/api-keys/", {"name": "PSA bridge", "role": Role.TECHNICIAN})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token = response.context["token"]
    assert token.encode() in response.content
    assert bearer(token).get("/api/v1/clients/").status_code == 200
    listing = web.get("/settings/api-keys/")
    assert b"PSA bridge" in listing.content and token.encode() not in listing.content


@pytest.mark.django_db
def test_settings_page_shows_errors_at_the_field(web, msp):
    step_up(web)
    response = web.post("/settings/api-keys/", {"name": "x", "role": Role.SUPER_ADMIN})
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    response = web.post("/settings/api-keys/", {"name": "", "role": Role.READ_ONLY})
    assert "name" in response.context["form"].errors


@pytest.mark.django_db
def test_settings_page_revokes(web, user, msp):
    token = issue_key(user, name="to revoke")
    with msp_scope(msp):
        key = ApiKey.objects.get(name="to revoke")
    assert web.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 302
    assert bearer(token).get("/api/v1/clients/").status_code == 401


@pytest.mark.django_db
def test_settings_page_needs_the_api_keys_permission(login, make_user):
    tech = login(make_user(role=Role.TECHNICIAN))
    assert tech.get("/settings/api-keys/").status_code == 403
    assert tech.post("/settings/api-keys/", {"name": "x", "role": Role.READ_ONLY}).status_code == 403
