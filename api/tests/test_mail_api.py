"""Alert intake and the inbound-email webhook, with API keys."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import MspFactory, UserFactory
from clients.lifecycle import client_archive
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory
from integrations.mail.models import AlertTicket, InboundMessage
from integrations.mail.tests.messages import bounce_bytes, email_bytes
from opsmerge.tenancy import msp_scope
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(msp):
    client = ClientFactory(msp=msp, name="Acme Ltd")
    ClientDomainFactory(msp=msp, client=client, domain="acme.test")
    return client


def alert(api, client, **fields):
    return api.post("/api/v1/alerts/", {"client": client.pk, "alert_key": "disk:srv1:C", "title": "Disk C: 95% full",
                                        "source": "NinjaOne", **fields}, format="json")


def test_alert_opens_updates_and_resolves_one_ticket_for_the_technical_contact(api, msp, acme):
    ContactFactory(msp=msp, client=acme, is_primary=True, email="boss@acme.test")
    tech = ContactFactory(msp=msp, client=acme, is_technical=True, email="it@acme.test")
    first = alert(api, acme, severity="critical", description="C: has 2 GB left")
    assert first.status_code == 201, first.content
    assert first.json()["action"] == "created"
    again = alert(api, acme, severity="critical")
    assert again.status_code == 200 and again.json() == {**first.json(), "action": "updated"}
    resolved = alert(api, acme, status="resolved", description="C: back at 60%")
    assert resolved.json()["action"] == "resolved"
    with msp_scope(msp):
        ticket = Ticket.objects.get(msp=msp)
        assert (ticket.source, ticket.contact, ticket.priority, ticket.status) == (
            Ticket.Source.ALERT, tech, Ticket.Priority.URGENT, Ticket.Status.RESOLVED)
        assert ticket.subject == "NinjaOne: Disk C: 95% full"
        notes = list(TicketComment.objects.filter(msp=msp, ticket=ticket).values_list("is_internal", flat=True))
        assert notes == [True, True]
        assert AlertTicket.objects.get(msp=msp).occurrences == 2
    # once resolved, the same key fires a new ticket; a stray "resolved" does nothing
    assert alert(api, acme).json()["action"] == "created"
    assert alert(api, acme, alert_key="other", status="resolved").json() == {
        "action": "ignored", "ticket": None, "ticket_number": None}
    with msp_scope(msp):
        assert Ticket.objects.filter(msp=msp).count() == 2


def test_alert_falls_back_to_the_primary_contact_and_refuses_bad_input(api, msp, acme, user):
    boss = ContactFactory(msp=msp, client=acme, is_primary=True, email="boss@acme.test")
    assert alert(api, acme).status_code == 201
    with msp_scope(msp):
        assert Ticket.objects.get(msp=msp).contact == boss
    bad = alert(api, acme, severity="apocalyptic", alert_key="")
    assert (bad.status_code == 400 and set(bad.json()) >= {"severity", "alert_key"}) or "errors" in bad.json()
    with msp_scope(msp):
        client_archive(msp=msp, client=acme, actor=user)
    archived = alert(api, acme, alert_key="new")
    assert archived.status_code == 400 and "archived" in archived.content.decode()


def test_alerts_need_ticket_work_and_stay_in_their_msp(make_api, msp, acme, user):
    read_only = make_api(user, role=Role.READ_ONLY)
    assert alert(read_only, acme).status_code == 403
    other = MspFactory(name="Other IT", slug="other")
    other_api = make_api(UserFactory(msp=other, role=Role.ADMIN, email="admin@other.example"))
    response = alert(other_api, acme)  # another MSP's client id: answered as missing
    assert response.status_code == 400 and "client" in response.content.decode()


def test_inbound_email_webhook(api, msp, acme):
    ContactFactory(msp=msp, client=acme, email="pat@acme.test")
    raw = email_bytes(sender="pat@acme.test", subject="Webhook mail", message_id="<hook1@acme.test>")
    response = api.post("/api/v1/inbound-email/", raw, content_type="message/rfc822")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ticket" and body["duplicate"] is False and body["ticket_number"]
    again = api.post("/api/v1/inbound-email/", raw, content_type="message/rfc822")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    bounce = api.post("/api/v1/inbound-email/", bounce_bytes(to="support@msp.test", original_subject="x"),
                      content_type="message/rfc822")
    assert bounce.json()["status"] == "ignored"
    garbage = api.post("/api/v1/inbound-email/", b"\x00\xff not a message", content_type="message/rfc822")
    assert garbage.status_code in (200, 201) and garbage.json()["status"] == "failed"
    assert api.post("/api/v1/inbound-email/", b"", content_type="message/rfc822").status_code == 400
    assert api.post("/api/v1/inbound-email/", {"a": 1}, format="json").status_code == 415
    with msp_scope(msp):
        assert InboundMessage.objects.filter(msp=msp, source="webhook").count() == 3
        assert Ticket.objects.filter(msp=msp).count() == 1


def test_inbound_email_webhook_needs_a_key():
    response = APIClient().post("/api/v1/inbound-email/", b"From: a@b.c\r\n\r\nx", content_type="message/rfc822")
    assert response.status_code in (401, 403)
