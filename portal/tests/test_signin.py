"""Requesting a link: same answer for every address, rate limits, multi-portal email."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import MspFactory
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from portal.models import PortalLinkToken
from portal.services import secret_hash

from .conftest import last_links, links_in

pytestmark = pytest.mark.django_db

SIGNIN = "/portal/sign-in/"


@pytest.fixture
def request_link(committed):
    def post(client, email, ip="10.0.0.1"):
        return committed(client.post, SIGNIN, {"email": email}, REMOTE_ADDR=ip)

    return post


def test_portal_is_mounted_where_the_scope_resolver_expects_it():
    from portal.scoping import PORTAL_PATH_PREFIX

    assert reverse("portal:signin").startswith(PORTAL_PATH_PREFIX)
    assert reverse("portal:tickets").startswith(PORTAL_PATH_PREFIX)


def test_known_address_gets_a_link_by_email_with_text_and_html(client, portal_contact, request_link):
    response = request_link(client, "Pat@Acme.example ")
    assert response.status_code == 302 and response["Location"] == reverse("portal:signin_sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@acme.example"]
    assert "Northwind IT" in message.subject
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    (token,) = links_in(message)
    assert token in html
    assert len(token) >= 43  # 32 random bytes, url-safe base64


def test_link_secret_is_stored_only_as_a_hash(client, portal_contact, request_link):
    request_link(client, "pat@acme.example")
    (token,) = last_links("pat@acme.example")
    from opsmerge.tenancy import unscoped

    with unscoped("test"):
        row = PortalLinkToken.objects.get()
        assert row.token_hash == secret_hash(token) != token
        assert not PortalLinkToken.objects.filter(token_hash=token).exists()
        assert row.contact_id == portal_contact.pk and row.msp_id == portal_contact.msp_id
        assert (row.expires_at - row.created_at).total_seconds() == 15 * 60


def _answer(request_link, client, email, ip):
    response = request_link(client, email, ip)
    followed = client.get(response["Location"])
    return response.status_code, response["Location"], followed.status_code, followed.content


def test_same_answer_for_known_unknown_inactive_and_paused_addresses(client, msp, portal_contact, request_link):
    archived = ClientFactory(msp=msp, name="Gone Ltd", status="archived", archived_at="2026-01-01T00:00:00Z")
    ContactFactory(msp=msp, client=archived, email="paused@gone.example", is_portal_user=True)
    ContactFactory(msp=msp, client=portal_contact.client, email="quiet@acme.example", is_portal_user=True,
                   is_active=False)
    ContactFactory(msp=msp, client=portal_contact.client, email="staffonly@acme.example")
    answers = {email: _answer(request_link, client, email, f"10.0.0.{i}") for i, email in enumerate(
        ["pat@acme.example", "nobody@nowhere.example", "paused@gone.example", "quiet@acme.example",
         "staffonly@acme.example"])}
    assert len(set(answers.values())) == 1, answers
    assert [m.to for m in mail.outbox if links_in(m)] == [["pat@acme.example"]]


def test_paused_client_gets_a_note_but_no_link(client, msp, request_link):
    archived = ClientFactory(msp=msp, name="Gone Ltd", status="archived", archived_at="2026-01-01T00:00:00Z")
    ContactFactory(msp=msp, client=archived, email="paused@gone.example", is_portal_user=True)
    request_link(client, "paused@gone.example")
    (message,) = mail.outbox
    assert links_in(message) == []
    assert "Portal access is paused" in message.body and "Gone Ltd" in message.body


@override_settings(PORTAL_SIGNIN_RATE_LIMITS={"address": (3, 900), "ip": (100, 900)})
@pytest.mark.parametrize("email", ["pat@acme.example", "nobody@nowhere.example"])
def test_rate_limited_per_address_with_a_clear_message(client, portal_contact, email, request_link):
    for i in range(3):
        assert request_link(client, email, ip=f"10.1.0.{i}").status_code == 302
    response = request_link(client, email.upper(), ip="10.1.0.99")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many sign-in requests" in response.content.decode()
    assert request_link(client, "other@acme.example", ip="10.1.0.99").status_code == 302


@override_settings(PORTAL_SIGNIN_RATE_LIMITS={"address": (100, 900), "ip": (4, 900)})
def test_rate_limited_per_ip(client, portal_contact, request_link):
    for i in range(4):
        assert request_link(client, f"someone{i}@x.example", ip="10.2.0.1").status_code == 302
    assert request_link(client, "pat@acme.example", ip="10.2.0.1").status_code == 429
    assert mail.outbox == []
    assert request_link(client, "pat@acme.example", ip="10.2.0.2").status_code == 302


def test_invalid_address_is_a_form_error_not_a_500(client, request_link):
    response = request_link(client, "not an email")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_one_email_with_one_link_per_portal_across_clients_and_msps(client, msp, portal_contact, request_link):
    other_client = ClientFactory(msp=msp, name="Acme Holdings")
    second = ContactFactory(msp=msp, client=other_client, email="PAT@acme.example", is_portal_user=True)
    bravo = MspFactory(name="Bravo Support", slug="bravo-support")
    bravo_client = ClientFactory(msp=bravo, name="Acme (Bravo)")
    third = ContactFactory(msp=bravo, client=bravo_client, email="pat@acme.example", is_portal_user=True)

    request_link(client, "pat@acme.example")
    (message,) = mail.outbox
    tokens = links_in(message)
    assert len(tokens) == 3
    from opsmerge.tenancy import unscoped

    with unscoped("test"):
        owners = {PortalLinkToken.objects.get(token_hash=secret_hash(t)).contact_id: t for t in tokens}
    assert set(owners) == {portal_contact.pk, second.pk, third.pk}

    # each link signs in to its own portal only
    for contact in (portal_contact, second, third):
        client.cookies.clear()
        response = client.post(reverse("portal:redeem", kwargs={"token": owners[contact.pk]}))
        assert response.status_code == 302
        page = client.get(reverse("portal:tickets")).content.decode()
        assert contact.client.name in page
        for other in {portal_contact, second, third} - {contact}:
            if other.client.name != contact.client.name:
                assert f"· {other.client.name}<" not in page
        assert contact.msp.name in page
        others_msp = {portal_contact.msp.name, bravo.name} - {contact.msp.name}
        assert not any(name in page for name in others_msp)
