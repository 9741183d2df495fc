"""Announcements to primary contacts of a clients-list selection (its filters)."""

from __future__ import annotations

import pytest
from django.core import mail

from clients.lifecycle import client_archive
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from integrations.mail.announcements import announcement_send
from integrations.mail.models import Announcement, AnnouncementRecipient
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


def test_announcement_to_everything_matching_the_clients_filter(web, msp, user, django_capture_on_commit_callbacks):
    acme = ClientFactory(msp=msp, name="Acme Ltd", industry="Legal")
    beta = ClientFactory(msp=msp, name="Beta Ltd", industry="Legal")
    gone = ClientFactory(msp=msp, name="Gone Ltd", industry="Legal")
    other = ClientFactory(msp=msp, name="Other Ltd", industry="Retail")
    ContactFactory(msp=msp, client=acme, is_primary=True, email="boss@acme.test")
    ContactFactory(msp=msp, client=acme, is_billing=True, email="money@acme.test")  # not primary
    ContactFactory(msp=msp, client=beta, is_primary=True, is_active=False, email="left@beta.test")
    ContactFactory(msp=msp, client=gone, is_primary=True, email="boss@gone.test")
    ContactFactory(msp=msp, client=other, is_primary=True, email="boss@other.test")
    with msp_scope(msp):
        client_archive(msp=msp, client=gone, actor=user)
    post = {"action": "announce", "all": "1", "filter": "industry=Legal&status=active&status=archived"}
    confirm = web.post("/clients/bulk/", post)
    assert confirm.status_code == 200 and "primary contacts of 3 clients" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = web.post("/clients/bulk/", {**post, "confirm": "1", "expected_count": "3",
                                           "subject": "Maintenance Saturday", "body": "We patch servers."})
    assert done.status_code == 302
    assert [m.to for m in mail.outbox] == [["boss@acme.test"]]
    assert mail.outbox[0].subject == "Maintenance Saturday"
    with msp_scope(msp):
        assert AnnouncementRecipient.objects.filter(msp=msp, sent_at__isnull=False).count() == 1
        # a re-run sends nothing twice
        assert announcement_send(msp=msp, announcement_id=Announcement.objects.get(msp=msp).pk) == 0


def test_announcement_without_recipients_is_refused_at_the_form(web, msp):
    ClientFactory(msp=msp, name="Lonely Ltd")
    response = web.post("/clients/bulk/", {"action": "announce", "all": "1", "filter": "", "confirm": "1",
                                           "expected_count": "1", "subject": "Hi", "body": "Hello"})
    assert response.status_code == 200
    assert "no" in response.content.decode().lower() and "primary contact" in response.content.decode()
    with msp_scope(msp):
        assert not Announcement.objects.filter(msp=msp).exists()
