"""Issue 13, item 2: invites — create, resend, revoke, accept (single use, expiry, one MSP)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.invites import (
    invite_accept,
    invite_create,
    invite_from_token,
    invite_open_for_email,
    invite_resend,
    invite_revoke,
)
from accounts.models import Invite, User
from accounts.roles import Role
from accounts.tests.factories import MspFactory, TechGroupFactory, UserFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db
PASSWORD = "a-Long-unusual-passphrase-42"


def _token_from_mail(message) -> str:
    link = next(line for line in message.body.splitlines() if "/accounts/invite/" in line)
    return link.rsplit("/accounts/invite/", 1)[1].strip("/")


def test_invite_emails_a_link_and_accept_creates_the_member(scoped, user):
    group = TechGroupFactory(msp=scoped, name="Service desk")
    invite = invite_create(msp=scoped, actor=user, email=" Tia@Example.COM ", role=Role.TECHNICIAN,
                           tech_groups=[group])
    assert invite.email == "tia@example.com" and invite.send_count == 1
    [message] = mail.outbox
    assert message.to == ["tia@example.com"] and scoped.name in message.subject
    token = _token_from_mail(message)
    assert token == invite.token and invite.token_hash not in token  # only the hash is stored
    found = invite_from_token(token)
    assert found.pk == invite.pk

    member = invite_accept(invite=found, first_name="Tia", last_name="Tech", password=PASSWORD)
    assert member.msp_id == scoped.pk and member.role == Role.TECHNICIAN and member.full_name == "Tia Tech"
    assert member.check_password(PASSWORD) and not member.is_staff
    assert list(member.tech_groups.all()) == [group]
    assert set(AuditEvent.objects.filter(msp=scoped).values_list("action", flat=True)) >= {"invite.create",
                                                                                             "invite.accept"}
    # single use
    with pytest.raises(ValidationError, match="already used"):
        invite_accept(invite=invite_from_token(token), first_name="Eve", last_name="Again", password=PASSWORD)


def test_accept_without_password_leaves_no_usable_password(scoped, user):
    """Microsoft sign-in accepts with password=None (helper "auth" calls this)."""
    invite = invite_create(msp=scoped, actor=user, email="ms@example.com", role=Role.READ_ONLY)
    assert invite_open_for_email("MS@example.com").pk == invite.pk
    member = invite_accept(invite=invite_open_for_email("ms@example.com"), first_name="Mo", last_name="Soft")
    assert not member.has_usable_password() and member.full_name == "Mo Soft"
    assert invite_open_for_email("ms@example.com") is None


def test_microsoft_acceptance_without_name_claims_uses_the_address(scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="no.names@example.com", role=Role.TECHNICIAN)
    member = invite_accept(invite=invite, first_name="", last_name="")
    assert member.full_name == "no.names"


def test_resend_replaces_the_link_and_revoke_kills_it(scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="sam@example.com", role=Role.TECHNICIAN)
    first = invite.token
    invite_resend(msp=scoped, actor=user, invite=invite)
    assert invite_from_token(first) is None  # the older email's link stops working
    second = invite.token
    assert invite_from_token(second).send_count == 2 and len(mail.outbox) == 2
    invite_revoke(msp=scoped, actor=user, invite=invite)
    with pytest.raises(ValidationError, match="withdrawn"):
        invite_accept(invite=invite_from_token(second), first_name="S", last_name="M", password=PASSWORD)
    assert invite_open_for_email("sam@example.com") is None


def test_expired_invite_cannot_be_accepted_and_makes_way_for_a_new_one(scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="old@example.com", role=Role.TECHNICIAN)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="expired"):
        invite_accept(invite=invite_from_token(invite.token), first_name="O", last_name="Ld", password=PASSWORD)
    assert invite_open_for_email("old@example.com") is None
    fresh = invite_create(msp=scoped, actor=user, email="old@example.com", role=Role.TECHNICIAN)
    assert fresh.pk != invite.pk


def test_duplicates_and_members_are_refused(scoped, user):
    invite_create(msp=scoped, actor=user, email="dup@example.com", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError, match="pending invite"):
        invite_create(msp=scoped, actor=user, email="DUP@example.com", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError, match="already on your team"):
        invite_create(msp=scoped, actor=user, email=user.email, role=Role.TECHNICIAN)


def test_a_user_of_another_msp_cannot_accept(scoped, user):
    other = MspFactory(name="Contoso MSP", slug="contoso")
    UserFactory(msp=other, email="taken@example.com")
    invite = invite_create(msp=scoped, actor=user, email="taken@example.com", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError, match="another organisation"):
        invite_accept(invite=invite_from_token(invite.token), first_name="T", last_name="K", password=PASSWORD)
    assert User.objects.filter(email="taken@example.com").get().msp_id == other.pk


def test_weak_password_and_missing_names_are_refused_on_their_fields(scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="weak@example.com", role=Role.TECHNICIAN)
    with pytest.raises(ValidationError) as exc:
        invite_accept(invite=invite, first_name=" ", last_name="X", password="123")
    assert "first_name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        invite_accept(invite=invite, first_name="W", last_name="Eak", password="12345678")
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(email="weak@example.com").exists()


def test_an_admin_cannot_invite_a_super_admin_nor_can_a_technician_invite(scoped, user, make_user):
    with pytest.raises(PermissionDenied):
        invite_create(msp=scoped, actor=user, email="boss@example.com", role=Role.SUPER_ADMIN)
    with pytest.raises(PermissionDenied):
        invite_create(msp=scoped, actor=make_user(Role.TECHNICIAN), email="x@example.com", role=Role.READ_ONLY)
    boss = make_user(Role.SUPER_ADMIN)
    assert invite_create(msp=scoped, actor=boss, email="boss@example.com", role=Role.SUPER_ADMIN).pk


def test_foreign_tech_group_is_refused(scoped, user):
    other = MspFactory(slug="fabrikam")
    with msp_scope(other):
        foreign = TechGroupFactory(msp=other)
    with pytest.raises(ValidationError):
        invite_create(msp=scoped, actor=user, email="g@example.com", role=Role.TECHNICIAN, tech_groups=[foreign])


def test_tokens_that_are_malformed_or_of_another_msp_find_nothing(scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="t@example.com", role=Role.TECHNICIAN)
    other = MspFactory(slug="other-msp")
    secret = invite.token.split(".", 1)[1]
    for token in ("", "abc", f"{scoped.pk}.", f"{other.pk}.{secret}", f"{scoped.pk}.{secret[:-1]}x", "9999999.x" * 5):
        assert invite_from_token(token) is None, token


# ---------------------------------------------------------------- the public page


def test_accept_page_signs_the_invitee_in(client, scoped, user):
    invite = invite_create(msp=scoped, actor=user, email="new@example.com", role=Role.TECHNICIAN)
    url = reverse("accounts:invite_accept", kwargs={"token": invite.token})
    page = client.get(url)
    assert page.status_code == 200 and "new@example.com" in page.content.decode()
    response = client.post(url, {"first_name": "Nia", "last_name": "New", "password1": PASSWORD,
                                 "password2": "different"})
    assert "two passwords differ" in response.content.decode()
    response = client.post(url, {"first_name": "Nia", "last_name": "New", "password1": PASSWORD,
                                 "password2": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user.email == "new@example.com"
    client.logout()
    again = client.get(url)
    assert again.status_code == 410 and "already used" in again.content.decode()


def test_accept_page_for_unknown_token_is_404_and_attempts_are_limited(client, settings):
    settings.AUTH_THROTTLE = {"invite-accept-ip": {"attempts": 3, "window": 60}}
    url = reverse("accounts:invite_accept", kwargs={"token": "1." + "x" * 43})
    assert [client.get(url).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_an_invitee_of_an_msp_that_requires_mfa_is_sent_to_set_it_up(client, scoped, user):
    Msp = type(scoped)
    Msp.objects.filter(pk=scoped.pk).update(require_mfa=True)
    invite = invite_create(msp=scoped, actor=user, email="mfa@example.com", role=Role.TECHNICIAN)
    url = reverse("accounts:invite_accept", kwargs={"token": invite.token})
    client.post(url, {"first_name": "Mo", "last_name": "Fa", "password1": PASSWORD, "password2": PASSWORD})
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302 and response.url == reverse("mfa_index")


def test_accept_page_offers_microsoft_only_when_configured(client, scoped, user, settings):
    settings.MICROSOFT_SIGNIN_ENABLED, settings.MICROSOFT_SIGNIN_CLIENT_ID = True, "app-1"
    invite = invite_create(msp=scoped, actor=user, email="ms2@example.com", role=Role.TECHNICIAN)
    url = reverse("accounts:invite_accept", kwargs={"token": invite.token})
    assert reverse("entra_login") in client.get(url).content.decode()
    settings.MICROSOFT_SIGNIN_ENABLED = False
    assert reverse("entra_login") not in client.get(url).content.decode()


def test_a_mail_server_failure_leaves_the_invite_pending_with_a_clear_message(web, scoped, monkeypatch):
    import smtplib

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    response = web.post(reverse("settings:team_invite"), {"email": "down@example.com", "role": Role.TECHNICIAN})
    assert response.status_code == 200 and "could not be sent right now" in response.content.decode()
    invite = Invite.objects.get(msp=scoped, email="down@example.com")
    assert invite.send_count == 0 and invite.is_open
    monkeypatch.undo()
    web.post(reverse("settings:team_invite_resend", args=[invite.pk]))
    invite.refresh_from_db()
    assert invite.send_count == 1 and len(mail.outbox) == 1
