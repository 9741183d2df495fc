"""Issue 13, items 2 and 7: Settings → Team — roles, tech groups, deactivate / reactivate,
sessions end at once (web and API), never delete, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.team import user_change_role, user_deactivate, user_reactivate, user_set_tech_groups
from accounts.tests.factories import DEFAULT_PASSWORD, TechGroupFactory
from api.models import ApiKey
from api.tests.conftest import issue_key
from opsmerge.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_team_page_lists_members_and_invites(web, user, make_user):
    make_user(Role.TECHNICIAN, full_name="Tom Tech", email="tom@northwind.example")
    web.post(reverse("settings:team_invite"), {"email": "ivy@example.com", "role": Role.TECHNICIAN})
    body = web.get(reverse("settings:team")).content.decode()
    assert "Tom Tech" in body and "ivy@example.com" in body and "Ada Admin" in body


def test_team_page_is_for_admins_only(login, make_user):
    for role in (Role.TECHNICIAN, Role.MSP_ADMIN, Role.READ_ONLY, Role.COMPLIANCE_ADMIN):
        web = login(make_user(role))
        assert web.get(reverse("settings:team")).status_code == 403, role
        assert web.post(reverse("settings:team_invite"), {"email": "x@example.com",
                                                          "role": Role.READ_ONLY}).status_code == 403


def test_team_page_has_constant_queries(web, user, make_user, django_assert_max_num_queries, scoped):
    group = TechGroupFactory(msp=scoped)
    for i in range(3):
        user_set_tech_groups(msp=scoped, actor=user, user=make_user(email=f"t{i}@northwind.example"), groups=[group])
    with django_assert_max_num_queries(14) as small:
        web.get(reverse("settings:team"))
    for i in range(3, 15):
        user_set_tech_groups(msp=scoped, actor=user, user=make_user(email=f"t{i}@northwind.example"), groups=[group])
    with django_assert_max_num_queries(len(small.captured_queries)):
        web.get(reverse("settings:team"))


def test_invite_form_offers_super_admin_only_to_super_admins(web, login, make_user):
    body = web.get(reverse("settings:team_invite")).content.decode()
    assert 'value="super_admin"' not in body
    response = web.post(reverse("settings:team_invite"), {"email": "s@example.com", "role": Role.SUPER_ADMIN})
    assert response.status_code == 200 and "valid choice" in response.content.decode()
    boss = login(make_user(Role.SUPER_ADMIN))
    assert 'value="super_admin"' in boss.get(reverse("settings:team_invite")).content.decode()


def test_role_rules(scoped, user, make_user):
    tech = make_user(Role.TECHNICIAN)
    user_change_role(msp=scoped, actor=user, user=tech, role=Role.ADMIN)
    assert AuditEvent.objects.filter(msp=scoped, action="user.role_change", object_id=str(tech.pk)).exists()
    with pytest.raises(PermissionDenied):
        user_change_role(msp=scoped, actor=user, user=tech, role=Role.SUPER_ADMIN)
    boss = make_user(Role.SUPER_ADMIN)
    with pytest.raises(PermissionDenied):  # an Admin cannot change a Super Admin
        user_change_role(msp=scoped, actor=user, user=boss, role=Role.TECHNICIAN)
    with pytest.raises(PermissionDenied):
        user_deactivate(msp=scoped, actor=user, user=boss)
    with pytest.raises(ValidationError, match="last active Super Admin"):
        user_change_role(msp=scoped, actor=boss, user=boss, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="yourself"):
        user_deactivate(msp=scoped, actor=user, user=user)
    second = make_user(Role.SUPER_ADMIN)
    user_deactivate(msp=scoped, actor=second, user=boss)
    with pytest.raises(ValidationError, match="yourself"):
        user_deactivate(msp=scoped, actor=second, user=second)


def test_last_super_admin_cannot_be_deactivated(scoped, make_user):
    boss, other_boss = make_user(Role.SUPER_ADMIN), make_user(Role.SUPER_ADMIN)
    user_deactivate(msp=scoped, actor=boss, user=other_boss)
    user_reactivate(msp=scoped, actor=boss, user=other_boss)
    user_deactivate(msp=scoped, actor=other_boss, user=boss)
    User.objects.filter(pk=other_boss.pk).update(role=Role.SUPER_ADMIN)
    third = make_user(Role.SUPER_ADMIN)
    user_deactivate(msp=scoped, actor=third, user=other_boss)
    with pytest.raises(ValidationError):
        user_deactivate(msp=scoped, actor=third, user=third)


def test_deactivation_ends_a_live_session_and_api_keys_at_once(web, user, make_user, scoped):
    tech = make_user(Role.ADMIN, email="leaver@northwind.example")
    theirs = Client()
    theirs.force_login(tech)
    assert theirs.get(reverse("clients:list")).status_code == 200
    token = issue_key(tech, role=Role.READ_ONLY)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/clients/").status_code == 200
    session_api = APIClient()
    session_api.force_login(tech)
    assert session_api.get("/api/v1/clients/").status_code == 200

    response = web.post(reverse("settings:team_member_deactivate", args=[tech.pk]))
    assert response.status_code == 302

    after = theirs.get(reverse("clients:list"))
    assert after.status_code == 302 and "/login/" in after.url
    assert api.get("/api/v1/clients/").status_code in (401, 403)
    assert session_api.get("/api/v1/clients/").status_code in (401, 403)
    assert ApiKey.objects.filter(msp=scoped, created_by=tech, revoked_at__isnull=True).count() == 0
    assert not theirs.login(username=tech.email, password=DEFAULT_PASSWORD)
    tech.refresh_from_db()
    assert tech.is_active is False
    assert AuditEvent.objects.filter(msp=scoped, action="user.deactivate", object_id=str(tech.pk)).exists()

    web.post(reverse("settings:team_member_reactivate", args=[tech.pk]))
    assert theirs.login(username=tech.email, password=DEFAULT_PASSWORD)
    assert api.get("/api/v1/clients/").status_code in (401, 403)  # revoked keys stay revoked


def test_key_of_a_user_deactivated_elsewhere_stops_working(user, make_user):
    """Deactivation without the service (the Django admin): the key check itself refuses it."""
    tech = make_user(Role.ADMIN)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(tech, role=Role.READ_ONLY)}")
    assert api.get("/api/v1/clients/").status_code == 200
    User.objects.filter(pk=tech.pk).update(is_active=False)
    assert api.get("/api/v1/clients/").status_code == 401


def test_member_page_edits_role_and_groups(web, scoped, make_user):
    tech = make_user(Role.TECHNICIAN)
    group = TechGroupFactory(msp=scoped, name="Projects")
    response = web.post(reverse("settings:team_member", args=[tech.pk]),
                        {"role": Role.MSP_ADMIN, "tech_groups": [group.pk]})
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.role == Role.MSP_ADMIN and list(tech.tech_groups.all()) == [group]


def test_sign_out_everywhere_ends_the_members_sessions(web, make_user):
    tech = make_user(Role.TECHNICIAN)
    theirs = Client()
    theirs.force_login(tech)
    assert theirs.get(reverse("clients:list")).status_code == 200  # recorded at sign-in
    page = web.get(reverse("settings:team_member", args=[tech.pk])).content.decode()
    assert "Sign out everywhere" in page
    web.post(reverse("settings:team_member_sign_out", args=[tech.pk]))
    response = theirs.get(reverse("clients:list"))
    assert response.status_code == 302 and "/login/" in response.url


def test_users_are_never_deleted_by_the_admin_when_they_authored_history(client, scoped, make_user):
    from django.contrib import admin

    root = User.objects.create_superuser("root@platform.example", DEFAULT_PASSWORD, full_name="Root")
    author, idle = make_user(Role.TECHNICIAN), make_user(Role.TECHNICIAN)
    AuditEvent.objects.create(msp=scoped, actor=author, action="client.create")
    model_admin = admin.site._registry[User]
    request = type("R", (), {"user": root})()
    assert model_admin.has_delete_permission(request, author) is False
    assert model_admin.has_delete_permission(request, idle) is True
    assert "delete_selected" not in model_admin.get_actions(type("R", (), {"user": root, "GET": {}})())
    with pytest.raises(ProtectedError), transaction.atomic():
        author.delete()
    assert User.objects.filter(pk=author.pk).exists()


def test_a_session_from_the_allauth_sign_in_form_ends_on_deactivation(web, make_user):
    """Sign-in goes through django-allauth (its backend subclasses ModelBackend): its
    get_user refuses an inactive user too, and allauth records the session for the list."""
    tech = make_user(Role.TECHNICIAN, email="formuser@northwind.example")
    theirs = Client()
    response = theirs.post(reverse("accounts:login"), {"login": tech.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert theirs.get(reverse("clients:list")).status_code == 200
    from allauth.usersessions.models import UserSession

    assert UserSession.objects.filter(user=tech).count() == 1
    web.post(reverse("settings:team_member_deactivate", args=[tech.pk]))
    assert UserSession.objects.filter(user=tech).count() == 0
    response = theirs.get(reverse("clients:list"))
    assert response.status_code == 302 and "/login/" in response.url


def test_own_password_change_keeps_this_session_and_ends_the_others(login, make_user):
    tech = make_user(Role.TECHNICIAN)
    other = Client()
    other.force_login(tech)
    assert other.get(reverse("clients:list")).status_code == 200
    mine = login(tech)
    assert mine.get(reverse("accounts:sessions")).status_code == 200
    wrong = mine.post(reverse("accounts:password_change"), {"old_password": "nope", "new_password1": "x",
                                                           "new_password2": "x"})
    assert "not your current password" in wrong.content.decode()
    new = "Granite-lantern-Meadow-93"
    response = mine.post(reverse("accounts:password_change"), {"old_password": DEFAULT_PASSWORD,
                                                              "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert mine.get(reverse("clients:list")).status_code == 200
    assert other.get(reverse("clients:list")).status_code == 302
    tech.refresh_from_db()
    assert tech.check_password(new)
    from allauth.usersessions.models import UserSession

    assert list(UserSession.objects.filter(user=tech).values_list("session_key", flat=True)) == [
        mine.session.session_key]  # this session is still listed, under its new key


def test_my_sessions_lists_them_and_signs_out_the_others(login, make_user):
    tech = make_user(Role.TECHNICIAN)
    other = Client(HTTP_USER_AGENT="Firefox on the other laptop")
    assert other.post(reverse("accounts:login"), {"login": tech.email, "password": DEFAULT_PASSWORD}).status_code == 302
    mine = login(tech)
    page = mine.get(reverse("accounts:sessions")).content.decode()
    assert "Firefox on the other laptop" in page and "This browser" in page
    mine.post(reverse("accounts:sessions"))
    assert other.get(reverse("clients:list")).status_code == 302
    assert mine.get(reverse("clients:list")).status_code == 200


def test_sessions_are_recorded_at_sign_in_and_touched_without_a_query_per_request(login, make_user, settings,
                                                                                   django_assert_num_queries):
    from allauth.usersessions.models import UserSession

    tech = make_user(Role.TECHNICIAN)
    web = login(tech)
    [row] = UserSession.objects.filter(user=tech)
    assert row.session_key == web.session.session_key
    web.get(reverse("clients:list"))
    first_seen = UserSession.objects.get(pk=row.pk).last_seen_at
    web.get(reverse("clients:list"))
    assert UserSession.objects.get(pk=row.pk).last_seen_at == first_seen  # no write within TOUCH_SECONDS


def test_a_session_never_recorded_is_recorded_on_its_next_request(make_user):
    """E.g. a session from before the table existed (or a browser test's injected cookie)."""
    from allauth.usersessions.models import UserSession

    tech = make_user(Role.TECHNICIAN)
    web = Client(HTTP_USER_AGENT="Old browser")
    web.force_login(tech)
    UserSession.objects.filter(user=tech).delete()
    session = web.session
    session.pop("_opsmerge_session_seen")
    session.save()
    web.get(reverse("clients:list"))
    assert UserSession.objects.get(user=tech).user_agent == "Old browser"


def test_team_pages_never_show_another_msps_people_or_invites(client, two_msps):
    alpha, bravo = two_msps
    client.force_login(alpha.user)
    body = client.get(reverse("settings:team")).content.decode()
    assert "Alpha Technician" in body and "new@alpha.example" in body
    assert "Bravo" not in body and "bravo.example" not in body
    member = client.get(reverse("settings:team_member", args=[bravo.objects["team_user"].pk]))
    assert member.status_code == 404
    form = client.get(reverse("settings:team_invite")).content.decode()
    assert "Bravo Service desk" not in form and "Alpha Service desk" in form


def test_an_admin_sees_a_super_admin_read_only_and_cannot_post_changes(web, make_user, scoped):
    boss = make_user(Role.SUPER_ADMIN, full_name="Bea Boss")
    page = web.get(reverse("settings:team_member", args=[boss.pk])).content.decode()
    assert "Only a Super Admin can change a Super Admin" in page
    assert "data-deactivate" not in page and "Sign out everywhere" not in page
    assert web.post(reverse("settings:team_member", args=[boss.pk]), {"role": Role.TECHNICIAN}).status_code == 403
    assert web.post(reverse("settings:team_member_deactivate", args=[boss.pk])).status_code == 403
    assert web.post(reverse("settings:team_member_sign_out", args=[boss.pk])).status_code == 403
    boss.refresh_from_db()
    assert boss.role == Role.SUPER_ADMIN and boss.is_active


def test_invite_resend_and_revoke_through_the_page(web, scoped):
    from django.core import mail

    from accounts.models import Invite

    web.post(reverse("settings:team_invite"), {"email": "ray@example.com", "role": Role.TECHNICIAN})
    invite = Invite.objects.get(msp=scoped, email="ray@example.com")
    assert web.post(reverse("settings:team_invite_resend", args=[invite.pk])).status_code == 302
    assert len(mail.outbox) == 2
    assert web.post(reverse("settings:team_invite_revoke", args=[invite.pk])).status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert 'data-invite="ray@example.com"' not in web.get(reverse("settings:team")).content.decode()
    actions = set(AuditEvent.objects.filter(msp=scoped, object_type="invite").values_list("action", flat=True))
    assert actions == {"invite.create", "invite.resend", "invite.revoke"}


def test_the_auth_backend_itself_refuses_an_inactive_users_live_session(make_user):
    """Without the service (no session deleted): allauth's backend, a ModelBackend,
    answers no user for an inactive one, so is_active alone ends access."""
    tech = make_user(Role.TECHNICIAN)
    theirs = Client()
    assert theirs.post(reverse("accounts:login"), {"login": tech.email, "password": DEFAULT_PASSWORD}).status_code == 302
    assert theirs.get(reverse("clients:list")).status_code == 200
    User.objects.filter(pk=tech.pk).update(is_active=False)
    response = theirs.get(reverse("clients:list"))
    assert response.status_code == 302 and "/login/" in response.url
