"""Open portal sessions: inactivity expiry, maximum age, sign-out, and losing access
(inactive, deleted, no longer a portal user, archived client) on the next request."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.services import contact_update
from opsmerge.tenancy import msp_scope, unscoped
from portal import conf
from portal.models import PortalSession

from .conftest import sign_in

pytestmark = pytest.mark.django_db
TICKETS = "/portal/tickets/"


def signed_out(response):
    return response.status_code == 302 and response["Location"] == reverse("portal:signin")


def test_signed_in_contact_sees_the_portal(portal):
    assert portal.get(TICKETS).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    assert signed_out(client.get(TICKETS))


def test_forged_cookie_is_sent_to_sign_in_and_forgotten(client, portal_contact):
    client.cookies[conf.cookie_name()] = "forged-value"
    response = client.get(TICKETS)
    assert signed_out(response) and response.cookies[conf.cookie_name()].value == ""


def test_the_cookie_names_its_msp_but_only_the_secret_signs_in(client, portal_contact):
    """"<msp id>.<secret>": the id routes the lookup to one MSP's rows (one node on
    Citus); another MSP's id with a valid secret, or the secret alone in a new
    cookie's place, is no session."""
    from accounts.tests.factories import MspFactory
    from portal.services import session_resolve, session_start

    with msp_scope(portal_contact.msp):
        cookie = session_start(msp=portal_contact.msp, contact=portal_contact)
    msp_id, _, secret = cookie.partition(".")
    assert msp_id == str(portal_contact.msp_id) and len(secret) >= 43
    assert session_resolve(cookie).contact == portal_contact
    with unscoped("test"):
        other = MspFactory()
    assert session_resolve(f"{other.pk}.{secret}") is None
    assert session_resolve(f"{msp_id}.forged") is None
    client.cookies[conf.cookie_name()] = f"{other.pk}.{secret}"
    assert signed_out(client.get(TICKETS))


def test_inactivity_expiry(portal):
    assert portal.get(TICKETS).status_code == 200
    with unscoped("test"):
        PortalSession.objects.update(last_seen_at=timezone.now() - timedelta(seconds=conf.session_idle_seconds() + 5))
    assert signed_out(portal.get(TICKETS))
    with unscoped("test"):
        assert PortalSession.objects.get().end_reason == "idle"


def test_activity_slides_the_inactivity_window(portal):
    with unscoped("test"):
        PortalSession.objects.update(last_seen_at=timezone.now() - timedelta(seconds=conf.session_idle_seconds() - 5))
    assert portal.get(TICKETS).status_code == 200
    with unscoped("test"):
        assert (timezone.now() - PortalSession.objects.get().last_seen_at).total_seconds() < 5


def test_maximum_age(portal):
    with unscoped("test"):
        PortalSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert signed_out(portal.get(TICKETS))


def test_sign_out_ends_the_session_server_side(client, portal_contact):
    secret = sign_in(client, portal_contact)
    assert client.get(reverse("portal:signout")).status_code == 405  # GET never signs out (no CSRF-able link)
    response = client.post(reverse("portal:signout"))
    assert response.status_code == 302 and response.cookies[conf.cookie_name()].value == ""
    client.cookies[conf.cookie_name()] = secret  # a stolen copy of the cookie is dead too
    assert signed_out(client.get(TICKETS))
    with unscoped("test"):
        assert PortalSession.objects.get().end_reason == "signed_out"


def test_made_inactive_ends_open_sessions_at_once(portal, portal_contact, django_capture_on_commit_callbacks):
    with msp_scope(portal_contact.msp), django_capture_on_commit_callbacks(execute=True):
        contact_update(msp=portal_contact.msp, contact=portal_contact, is_active=False)
    with unscoped("test"):
        assert PortalSession.objects.get().end_reason == "access_lost"
    assert signed_out(portal.get(TICKETS))


def test_portal_user_unticked_ends_open_sessions(portal, portal_contact, django_capture_on_commit_callbacks):
    with msp_scope(portal_contact.msp), django_capture_on_commit_callbacks(execute=True):
        contact_update(msp=portal_contact.msp, contact=portal_contact, is_portal_user=False)
    assert signed_out(portal.get(TICKETS))


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": timezone.now()}, {"is_portal_user": False}])
def test_every_request_rechecks_access_even_without_the_signal(portal, portal_contact, change):
    with unscoped("test"):
        type(portal_contact).objects.filter(pk=portal_contact.pk).update(**change)
    assert signed_out(portal.get(TICKETS))
    with unscoped("test"):
        assert PortalSession.objects.get().end_reason == "access_lost"


def test_archived_client_pauses_open_sessions(portal, portal_contact):
    with unscoped("test"):
        type(portal_contact.client).objects.filter(pk=portal_contact.client_id).update(
            status="archived", archived_at=timezone.now())
    response = portal.get(TICKETS)
    assert response.status_code == 403 and "Portal access is paused" in response.content.decode()
    with unscoped("test"):
        type(portal_contact.client).objects.filter(pk=portal_contact.client_id).update(status="active")
    assert portal.get(TICKETS).status_code == 200  # restoring the client resumes access


@pytest.mark.django_db(transaction=True)
def test_archiving_the_client_ends_its_contacts_sessions_and_voids_their_links(msp, user, acme, portal_contact):
    """clients.signals.client_archive_changed has a receiver: the portal ends open
    sessions (recorded, not only refused at the next request) and voids unused links."""
    from clients.lifecycle import client_archive
    from portal.models import PortalLinkToken
    from portal.services import link_token_issue, session_start

    with msp_scope(msp):
        session_start(msp=msp, contact=portal_contact)
        link_token_issue(msp=msp, contact=portal_contact, purpose=PortalLinkToken.Purpose.SIGN_IN)
        client_archive(msp=msp, client=acme, actor=user, reason="Left us")
    with unscoped("test check"):
        session = PortalSession.objects.get(contact=portal_contact)
        assert session.ended_at is not None and session.end_reason == PortalSession.EndReason.ACCESS_LOST
        assert not PortalLinkToken.objects.filter(contact=portal_contact, voided_at__isnull=True,
                                                  used_at__isnull=True).exists()
