"""Contact restore, ticket and asset PATCH, client merge undo: thin actions over
contacts.lifecycle, tickets.services, assets.services and clients.merge."""

import pytest
from django.utils import timezone

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.merge import client_merge_execute, client_merge_start
from clients.models import Client, ClientMerge
from clients.tests.factories import ClientFactory
from contacts.lifecycle import contact_delete
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope
from sites.tests.factories import SiteFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def deleted_contact(msp, user, **kwargs):
    contact = ContactFactory(msp=msp, **kwargs)
    with msp_scope(msp):
        contact_delete(msp=msp, contact=contact, actor=user)
    return contact


# contacts/{id}/restore/ ---------------------------------------------------------------


def test_super_admin_restores_a_deleted_contact(make_api, super_user, msp):
    contact = deleted_contact(msp, super_user, first_name="Ann", is_primary=True)
    api = make_api(super_user, role=Role.SUPER_ADMIN)
    assert api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404  # deleted: not part of the API …
    response = api.post(f"/api/v1/contacts/{contact.pk}/restore/")  # … except to restore it
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == contact.pk and response.json()["is_primary"] is False
    assert api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    with msp_scope(msp):
        assert Contact.objects.get(pk=contact.pk).deleted_at is None
        assert AuditEvent.objects.filter(action="contact.restore", object_id=contact.pk).exists()
    again = api.post(f"/api/v1/contacts/{contact.pk}/restore/")
    assert again.status_code == 400 and "not deleted" in again.json()["errors"][0]["detail"]


def test_restore_is_refused_when_the_email_is_taken(make_api, super_user, msp):
    client = ClientFactory(msp=msp)
    contact = deleted_contact(msp, super_user, client=client, email="ann@contoso.example")
    ContactFactory(msp=msp, client=client, email="ann@contoso.example")
    response = make_api(super_user, role=Role.SUPER_ADMIN).post(f"/api/v1/contacts/{contact.pk}/restore/")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "email"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MSP_ADMIN])
def test_only_super_admin_restores(make_api, user, msp, role):
    contact = deleted_contact(msp, user)
    response = make_api(user, role=role).post(f"/api/v1/contacts/{contact.pk}/restore/")
    assert response.status_code == 403
    with msp_scope(msp):
        assert Contact.objects.get(pk=contact.pk).deleted_at is not None


def test_other_msps_deleted_contact_is_404(two_msps):
    from rest_framework.test import APIClient

    from .conftest import issue_key

    alpha, bravo = two_msps
    foreign = deleted_contact(bravo.msp, bravo.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(alpha.user, role=Role.SUPER_ADMIN)}")
    assert api.post(f"/api/v1/contacts/{foreign.pk}/restore/").status_code == 404
    with msp_scope(bravo.msp):
        assert Contact.objects.get(pk=foreign.pk).deleted_at is not None


def test_deleted_contacts_stay_hidden_from_other_actions(api, user, msp):
    contact = deleted_contact(msp, user)
    assert api.patch(f"/api/v1/contacts/{contact.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 404
    assert contact.pk not in [c["id"] for c in api.get("/api/v1/contacts/").json()["results"]]


# PATCH tickets/{id}/ --------------------------------------------------------------------


def test_patch_ticket_status_priority_assignee(api, make_user, msp):
    tech = make_user(role=Role.TECHNICIAN, email="tech@northwind.example")
    ticket = TicketFactory(msp=msp, status="open", priority="normal")
    response = api.patch(f"/api/v1/tickets/{ticket.pk}/",
                         {"status": "resolved", "priority": "urgent", "assigned_to": tech.pk}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["assigned_to"]) == ("resolved", "urgent", tech.pk)
    assert body["resolved_at"] is not None
    with msp_scope(msp):
        event = AuditEvent.objects.get(action="ticket.update", object_id=ticket.pk)
        assert {"status", "priority"} <= set(event.changes) and any(k.startswith("assigned_to") for k in event.changes)
    reopened = api.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "open", "assigned_to": None}, format="json")
    assert reopened.json()["resolved_at"] is None and reopened.json()["assigned_to"] is None
    assert reopened.json()["priority"] == "urgent"  # untouched fields stay


def test_patch_ticket_rejects_bad_values_naming_the_field(api, make_user, msp, two_msps):
    ticket = TicketFactory(msp=msp)
    inactive = make_user(role=Role.TECHNICIAN, email="gone@northwind.example", is_active=False)
    _alpha, bravo = two_msps
    for body, attr in [({"status": "exploded"}, "status"), ({"priority": "meh"}, "priority"),
                       ({"assigned_to": inactive.pk}, "assigned_to"), ({"assigned_to": bravo.user.pk}, "assigned_to")]:
        response = api.patch(f"/api/v1/tickets/{ticket.pk}/", body, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["attr"] == attr, body
    with msp_scope(msp):
        assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_patch_ticket_needs_ticket_work_and_put_is_not_offered(make_api, user, msp):
    ticket = TicketFactory(msp=msp)
    read_only = make_api(user, role=Role.READ_ONLY)
    assert read_only.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "open"}, format="json").status_code == 403
    assert make_api(user).put(f"/api/v1/tickets/{ticket.pk}/", {"subject": "x"}, format="json").status_code == 405


# client-merges/{id}/undo/ ---------------------------------------------------------------


def finished_merge(msp, user) -> ClientMerge:
    target = ClientFactory(msp=msp, name="Contoso")
    source = ClientFactory(msp=msp, name="Contoso Ltd")
    ContactFactory(msp=msp, client=source, email="pat@contoso.example")
    with msp_scope(msp):
        merge = client_merge_start(msp=msp, target=target, sources=[source], actor=user)
        merge = client_merge_execute(msp=msp, merge=merge)
    assert merge.status == "done", merge.error
    return merge


def test_undo_a_merge_with_an_api_key(api, user, msp):
    merge = finished_merge(msp, user)
    source_pk = merge.source_ids[0]
    with msp_scope(msp):
        assert Contact.objects.get(email="pat@contoso.example").client_id == merge.target_id
    response = api.post(f"/api/v1/client-merges/{merge.pk}/undo/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "undone" and response.json()["undone_at"]
    with msp_scope(msp):
        assert Contact.objects.get(email="pat@contoso.example").client_id == source_pk
        assert Client.objects.get(pk=source_pk).merged_into_id is None
        merge.refresh_from_db()
        assert merge.undone_by is None  # an API key is not a User row; the audit names the key
        assert AuditEvent.objects.filter(action="client.merge_undo", object_id=merge.pk).exists()
    again = api.post(f"/api/v1/client-merges/{merge.pk}/undo/")
    assert again.status_code == 400 and "cannot be undone" in again.json()["errors"][0]["detail"]


def test_undo_by_session_records_the_user(web, user, msp):
    merge = finished_merge(msp, user)
    assert web.post(f"/api/v1/client-merges/{merge.pk}/undo/", content_type="application/json").status_code == 200
    with msp_scope(msp):
        merge.refresh_from_db()
        assert merge.undone_by == user


def test_undo_needs_client_merge(make_api, user, msp):
    merge = finished_merge(msp, user)
    assert make_api(user, role=Role.TECHNICIAN).post(f"/api/v1/client-merges/{merge.pk}/undo/").status_code == 403
    with msp_scope(msp):
        assert ClientMerge.objects.get(pk=merge.pk).status == "done"


# PATCH assets/{id}/ ---------------------------------------------------------------------


def test_patch_manual_asset(api, msp):
    client = ClientFactory(msp=msp)
    site = SiteFactory(msp=msp, client=client)
    user = ContactFactory(msp=msp, client=client)
    asset = AssetFactory(msp=msp, client=client, name="LT-1", kind="laptop")
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"site": site.pk, "contact": user.pk, "kind": "workstation",
                                                         "name": "LT-1-renamed", "serial_number": "ABC"},
                         format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["site"], body["contact"], body["kind"], body["name"]) == (site.pk, user.pk, "workstation",
                                                                            "LT-1-renamed")
    with msp_scope(msp):
        assert AuditEvent.objects.filter(action="asset.update", object_id=asset.pk).exists()


def test_patch_asset_validates_through_the_service(api, msp):
    client, other = ClientFactory(msp=msp), ClientFactory(msp=msp)
    asset = AssetFactory(msp=msp, client=client)
    foreign_site = SiteFactory(msp=msp, client=other)
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"site": foreign_site.pk}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "site"
    archived = ClientFactory(msp=msp, status="archived", archived_at=timezone.now())
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"client": archived.pk}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "client"
    response = api.patch(f"/api/v1/assets/{asset.pk}/", {"kind": "toaster"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "kind"


def test_m365_owned_fields_are_read_only_on_synced_assets(api, msp):
    client = ClientFactory(msp=msp)
    site = SiteFactory(msp=msp, client=client)
    asset = AssetFactory(msp=msp, client=client, name="DESKTOP-1", os="Windows", source="m365",
                         m365_object_id="obj-1", intune_id="intune-1", serial_number="SN1")
    for field, value in [("name", "Renamed"), ("os", "Linux"), ("serial_number", "X"), ("is_active", False)]:
        response = api.patch(f"/api/v1/assets/{asset.pk}/", {field: value}, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["attr"] == field, field
    same = api.patch(f"/api/v1/assets/{asset.pk}/", {"name": "DESKTOP-1", "site": site.pk, "kind": "laptop"},
                     format="json")  # unchanged owned values are fine; technician fields change
    assert same.status_code == 200 and same.json()["site"] == site.pk and same.json()["kind"] == "laptop"


def test_patch_asset_needs_client_edit(make_api, user, msp):
    asset = AssetFactory(msp=msp)
    read_only = make_api(user, role=Role.READ_ONLY)
    assert read_only.patch(f"/api/v1/assets/{asset.pk}/", {"kind": "server"}, format="json").status_code == 403
    assert make_api(user).put(f"/api/v1/assets/{asset.pk}/", {"kind": "server"}, format="json").status_code == 405
