"""Invites: ticking Portal user sends one; technicians can re-send; pending setup."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role
from contacts.services import contact_create, contact_update
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope

from .conftest import links_in

pytestmark = pytest.mark.django_db


def test_ticking_portal_user_sends_an_invite(msp, acme, django_capture_on_commit_callbacks):
    with msp_scope(msp), django_capture_on_commit_callbacks(execute=True):
        contact = contact_create(msp=msp, client=acme, first_name="Nia", email="nia@acme.example")
    assert mail.outbox == []
    with msp_scope(msp), django_capture_on_commit_callbacks(execute=True):
        contact_update(msp=msp, contact=contact, is_portal_user=True)
    (message,) = mail.outbox
    assert message.to == ["nia@acme.example"] and "invited you" in message.subject
    assert len(links_in(message)) == 1 and "Acme Ltd" in message.body
    contact.refresh_from_db()
    assert contact.portal_invited_at is not None and contact.is_pending_setup


def test_invite_link_signs_in(client, msp, acme, django_capture_on_commit_callbacks):
    with msp_scope(msp), django_capture_on_commit_callbacks(execute=True):
        contact = contact_create(msp=msp, client=acme, first_name="Nia", email="nia@acme.example",
                                 is_portal_user=True)
    (token,) = links_in(mail.outbox[0])
    assert client.post(reverse("portal:redeem", kwargs={"token": token})).status_code == 302
    contact.refresh_from_db()
    assert not contact.is_pending_setup


def test_technician_resends_the_invite(web, msp, portal_contact, django_capture_on_commit_callbacks):
    url = reverse("portal_invites:send", kwargs={"contact_pk": portal_contact.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(url, {"next": "/contacts/"})
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    assert [m.to for m in mail.outbox] == [["pat@acme.example"]]
    with django_capture_on_commit_callbacks(execute=True):
        partial = web.post(url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "Invite sent to pat@acme.example" in body and "Pending setup" in body
    assert len(mail.outbox) == 2


def test_resend_refuses_open_redirects(web, portal_contact):
    url = reverse("portal_invites:send", kwargs={"contact_pk": portal_contact.pk})
    response = web.post(url, {"next": "https://evil.example/"})
    assert "evil" not in response["Location"]


def test_inactive_contact_gets_no_invite(web, msp, acme, django_capture_on_commit_callbacks):
    contact = ContactFactory(msp=msp, client=acme, email="old@acme.example", is_portal_user=True, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("portal_invites:send", kwargs={"contact_pk": contact.pk}),
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and mail.outbox == []


def test_read_only_staff_cannot_send_invites(login, make_user, portal_contact):
    client = login(make_user(role=Role.READ_ONLY))
    response = client.post(reverse("portal_invites:send", kwargs={"contact_pk": portal_contact.pk}))
    assert response.status_code == 403 and mail.outbox == []


def test_invite_button_partial(rf, user, portal_contact):
    from django.template.loader import render_to_string

    request = rf.get("/contacts/1/")
    html = render_to_string("portal/_invite_button.html", {"contact": portal_contact, "perms_ops": {"contact_edit"},
                                                           "request": request})
    assert "Pending setup" in html and "Re-send invite" in html
    portal_contact.is_active = False
    assert render_to_string("portal/_invite_button.html", {"contact": portal_contact}).strip() == ""
