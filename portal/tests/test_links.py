"""Using a link: scanner-safe GET, single use, expiry, forgery, newer voids older,
inactive / deleted / archived, and the session cookie."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope, unscoped
from portal import conf
from portal.models import PortalLinkToken, PortalSession
from portal.services import link_token_issue

pytestmark = pytest.mark.django_db


def issue(contact):
    with msp_scope(contact.msp):
        return link_token_issue(msp=contact.msp, contact=contact)


def url(token):
    return reverse("portal:redeem", kwargs={"token": token})


def test_get_shows_a_sign_in_button_and_does_not_use_the_link(client, portal_contact):
    token = issue(portal_contact)
    for _ in range(3):  # a mail scanner prefetching, then the person
        response = client.get(url(token))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Sign in</button>" in body and "Northwind IT" in body and "Acme Ltd" in body
        assert response["Referrer-Policy"] == "strict-origin"  # never the path, which holds the token
        assert "no-store" in response["Cache-Control"]
    assert conf.cookie_name() not in response.cookies
    with unscoped("test"):
        assert PortalLinkToken.objects.get().used_at is None
    response = client.post(url(token))
    assert response.status_code == 302 and response["Location"] == reverse("portal:tickets")


def test_link_is_single_use(client, portal_contact):
    token = issue(portal_contact)
    assert client.post(url(token)).status_code == 302
    client.cookies.clear()
    again = client.post(url(token))
    assert again.status_code == 410
    assert "no longer works" in again.content.decode()
    assert conf.cookie_name() not in again.cookies
    assert client.get(url(token)).status_code == 410


def test_expired_link_is_refused(client, portal_contact):
    token = issue(portal_contact)
    with unscoped("test"):
        PortalLinkToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url(token)).status_code == 410
    assert client.post(url(token)).status_code == 410


@pytest.mark.parametrize("token", ["forged", "A" * 43, "x" * 300, "%00"])
def test_forged_link_is_refused(client, portal_contact, token):
    issue(portal_contact)
    assert client.get(url(token)).status_code == 410
    response = client.post(url(token))
    assert response.status_code == 410 and conf.cookie_name() not in response.cookies


def test_newer_link_voids_older_ones(client, portal_contact):
    first = issue(portal_contact)
    second = issue(portal_contact)
    assert client.post(url(first)).status_code == 410
    assert client.post(url(second)).status_code == 302


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": timezone.now()}, {"is_portal_user": False}])
def test_link_of_contact_without_access_is_refused(client, portal_contact, change):
    token = issue(portal_contact)
    with unscoped("test"):
        type(portal_contact).objects.filter(pk=portal_contact.pk).update(**change)
    response = client.post(url(token))
    assert response.status_code == 410 and conf.cookie_name() not in response.cookies


def test_archived_client_sees_portal_access_is_paused(client, portal_contact):
    token = issue(portal_contact)
    with unscoped("test"):
        type(portal_contact.client).objects.filter(pk=portal_contact.client_id).update(
            status="archived", archived_at=timezone.now())
    response = client.post(url(token))
    assert response.status_code == 403
    assert "Portal access is paused" in response.content.decode()
    assert conf.cookie_name() not in response.cookies


@override_settings(PORTAL_SESSION_COOKIE_SECURE=True)
def test_session_cookie_is_secure_httponly_samesite_and_portal_only(client, portal_contact):
    response = client.post(url(issue(portal_contact)))
    cookie = response.cookies[conf.cookie_name()]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/portal/"
    assert int(cookie["max-age"]) == conf.session_max_age_seconds()
    with unscoped("test"):
        session = PortalSession.objects.get()
    assert session.key_hash != cookie.value and len(cookie.value) >= 43


def test_first_sign_in_ends_pending_setup(client, portal_contact):
    assert portal_contact.is_pending_setup
    client.post(url(issue(portal_contact)))
    portal_contact.refresh_from_db()
    assert not portal_contact.is_pending_setup


def test_signing_in_again_replaces_the_browsers_old_session(client, portal_contact):
    client.post(url(issue(portal_contact)))
    client.post(url(issue(portal_contact)))
    with unscoped("test"):
        reasons = sorted(PortalSession.objects.values_list("end_reason", flat=True))
    assert reasons == ["", "replaced"]


def test_other_msps_link_never_mixes_with_a_staff_login(client, two_msps):
    """A technician of MSP A signed in to the staff app opens a portal link of MSP B
    (their own address is a portal user there): the portal shows B's portal only,
    scoped to B, and the staff login does not leak into it."""
    alpha, bravo = two_msps
    contact = bravo.objects["contact"]
    client.force_login(alpha.user)
    assert client.post(url(issue(contact))).status_code == 302
    page = client.get(reverse("portal:tickets"))
    body = page.content.decode()
    assert page.status_code == 200 and bravo.msp.name in body
    for name in [*alpha.names, alpha.msp.name, alpha.user.full_name]:
        assert name not in body
    assert page.wsgi_request.msp == bravo.msp
    assert not page.wsgi_request.user.is_authenticated  # the staff identity is hidden on portal paths


def test_staff_login_alone_never_scopes_portal_pages(client, two_msps):
    alpha, _bravo = two_msps
    client.force_login(alpha.user)
    response = client.get(reverse("portal:tickets"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:signin")
    assert response.wsgi_request.msp is None
    staff_page = client.get(reverse("tickets:list"))  # the staff app is unaffected
    assert staff_page.status_code == 200 and staff_page.wsgi_request.msp == alpha.msp


def test_portal_session_cannot_reach_staff_pages(client, portal_contact):
    client.post(url(issue(portal_contact)))
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_token_cannot_be_used_for_another_msps_contact(client, msp, portal_contact):
    """Tokens are bound to contact + MSP: the same address at another MSP has its own."""
    from accounts.tests.factories import MspFactory

    other = MspFactory(name="Other MSP", slug="other-msp")
    twin = ContactFactory(msp=other, client=ClientFactory(msp=other, name="Twin Client"),
                          email=portal_contact.email, is_portal_user=True)
    client.post(url(issue(twin)))
    page = client.get(reverse("portal:tickets")).content.decode()
    assert "Twin Client" in page and "Acme Ltd" not in page and "Northwind IT" not in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_link_sign_in_only_once(portal_contact):
    import threading

    from django.db import connection

    from portal.services import Outcome, link_token_redeem

    token = issue(portal_contact)
    barrier = threading.Barrier(3)
    outcomes = []

    def post():
        barrier.wait()
        try:
            outcomes.append(link_token_redeem(secret=token).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [Outcome.INVALID, Outcome.INVALID, Outcome.SIGNED_IN]
    with unscoped("test"):
        assert PortalSession.objects.count() == 1


def test_portal_resolver_runs_before_every_other_resolver(settings):
    assert settings.TENANT_SCOPE_RESOLVERS[0] == "portal.scoping.portal_msp"
