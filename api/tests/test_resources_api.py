"""/api/v1/contacts, sites, assets, tickets: thin views over the same services and
filtersets as the web pages."""

import pytest

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope
from sites.tests.factories import SiteFactory
from tickets.models import Ticket, TicketComment
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_contacts_crud_and_filters(api, msp):
    client = ClientFactory(msp=msp, name="Contoso")
    response = api.post("/api/v1/contacts/", {"client": client.pk, "first_name": "Ann", "last_name": "Lee",
                                              "email": "ANN@contoso.example", "is_primary": True,
                                              "tags": ["vip-desk"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "ann@contoso.example" and body["source"] == "api" and body["tags"] == ["vip-desk"]
    dup = api.post("/api/v1/contacts/", {"client": client.pk, "first_name": "B", "email": "ann@contoso.example"},
                   format="json")
    assert dup.status_code == 400 and dup.json()["errors"][0]["attr"] == "email"
    assert api.post("/api/v1/contacts/", {"client": client.pk}, format="json").json()["errors"][0]["attr"] \
        == "first_name"

    ContactFactory(msp=msp, client=client, first_name="Bob", last_name="Other", email="bob@contoso.example")
    assert [c["first_name"] for c in api.get("/api/v1/contacts/?role=primary").json()["results"]] == ["Ann"]
    assert api.get(f"/api/v1/contacts/?client={client.pk}&q=bob").json()["count"] == 1

    patched = api.patch(f"/api/v1/contacts/{body['id']}/", {"job_title": "CFO", "is_billing": True}, format="json")
    assert patched.status_code == 200 and patched.json()["job_title"] == "CFO"

    assert api.delete(f"/api/v1/contacts/{body['id']}/").status_code == 204
    assert api.get(f"/api/v1/contacts/{body['id']}/").status_code == 404
    with msp_scope(msp):
        assert Contact.objects.get(pk=body["id"]).deleted_at is not None  # soft delete keeps history


def test_contacts_of_archived_clients_are_refused(api, msp):
    client = ClientFactory(msp=msp, status="archived", archived_at="2026-01-01T00:00:00Z")
    response = api.post("/api/v1/contacts/", {"client": client.pk, "first_name": "Late"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "client"


def test_read_only_key_cannot_write_contacts(make_api, user, msp):
    contact = ContactFactory(msp=msp)
    read_only = make_api(user, role=Role.READ_ONLY)
    assert read_only.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    assert read_only.patch(f"/api/v1/contacts/{contact.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert read_only.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 403


def test_sites_crud(api, msp):
    client = ClientFactory(msp=msp, name="Contoso")
    first = api.post("/api/v1/sites/", {"client": client.pk, "name": "London"}, format="json")
    assert first.status_code == 201 and first.json()["is_hq"] is True  # a client's first site is its HQ
    second = api.post("/api/v1/sites/", {"client": client.pk, "name": "Leeds", "is_hq": True}, format="json")
    assert second.status_code == 201
    assert api.get(f"/api/v1/sites/{first.json()['id']}/").json()["is_hq"] is False  # HQ moved atomically
    clash = api.post("/api/v1/sites/", {"client": client.pk, "name": "london"}, format="json")
    assert clash.status_code == 400 and clash.json()["errors"][0]["attr"] == "name"
    other = ClientFactory(msp=msp)
    moved = api.patch(f"/api/v1/sites/{first.json()['id']}/", {"client": other.pk}, format="json")
    assert moved.status_code == 400 and moved.json()["errors"][0]["attr"] == "client"
    assert api.get(f"/api/v1/sites/?client={client.pk}&is_hq=true").json()["count"] == 1


def test_assets_cannot_be_created_and_are_filterable(api, msp):
    client = ClientFactory(msp=msp)
    site = SiteFactory(msp=msp, client=client, name="HQ")
    AssetFactory(msp=msp, client=client, site=site, name="LAPTOP-1", kind="laptop")
    AssetFactory(msp=msp, client=client, name="SRV-1", kind="server")
    assert api.get(f"/api/v1/assets/?site={site.pk}").json()["results"][0]["name"] == "LAPTOP-1"
    assert api.get("/api/v1/assets/?kind=server").json()["count"] == 1
    assert api.post("/api/v1/assets/", {"name": "x"}, format="json").status_code == 405


def test_tickets_create_read_and_comment(api, msp):
    client = ClientFactory(msp=msp, name="Contoso", priority_floor="high")
    contact = ContactFactory(msp=msp, client=client, is_vip=True)
    response = api.post("/api/v1/tickets/", {"subject": "Printer on fire", "contact": contact.pk,
                                             "priority": "low"}, format="json")
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert ticket["client"] == client.pk and ticket["source"] == "api" and ticket["priority"] == "high"
    assert ticket["number"] >= 1

    comment = api.post(f"/api/v1/tickets/{ticket['id']}/comments/", {"body": "On my way", "is_internal": True},
                       format="json")
    assert comment.status_code == 201 and comment.json()["is_internal"] is True
    empty = api.post(f"/api/v1/tickets/{ticket['id']}/comments/", {"body": "   "}, format="json")
    assert empty.status_code == 400 and empty.json()["errors"][0]["attr"] == "body"
    listed = api.get(f"/api/v1/tickets/{ticket['id']}/comments/").json()
    assert [c["body"] for c in listed["results"]] == ["On my way"]

    assert api.get("/api/v1/tickets/?is_open=true").json()["count"] == 1
    assert api.get(f"/api/v1/tickets/?q=%23{ticket['number']}").json()["count"] == 1
    blank = api.post("/api/v1/tickets/", {"subject": "  "}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"][0]["attr"] == "subject"


def test_tickets_for_archived_clients_are_refused(api, msp):
    client = ClientFactory(msp=msp, status="archived", archived_at="2026-01-01T00:00:00Z")
    response = api.post("/api/v1/tickets/", {"subject": "x", "client": client.pk}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "client"


def test_session_user_comment_is_authored(web, user, msp):
    ticket = TicketFactory(msp=msp)
    assert web.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "hi"},
                    content_type="application/json").status_code == 201
    with msp_scope(msp):
        assert TicketComment.objects.get(ticket=ticket).author_user == user
        assert Ticket.objects.get(pk=ticket.pk).updated_at
