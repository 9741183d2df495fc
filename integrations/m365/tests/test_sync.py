"""The sync against the HTTPS emulator: real msal, real requests, real PostgreSQL."""

from __future__ import annotations

import pytest

from assets.models import Asset
from assets.tests.factories import AssetFactory
from clients.models import ClientTag
from clients.tests.factories import ClientFactory, TagFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.services import tenant_connect, tenants_due
from integrations.m365.sync import tenant_sync

pytestmark = pytest.mark.django_db


def _user(tenant, **kw):
    import uuid

    n = len(tenant.objects["users"])
    obj = {"id": str(uuid.uuid4()), "displayName": f"User {n}", "givenName": "User", "surname": f"N{n}",
           "mail": f"user{n}@{tenant.domains[0]}", "userPrincipalName": f"user{n}@{tenant.domains[0]}",
           "jobTitle": None, "mobilePhone": None, "businessPhones": [], "accountEnabled": True,
           "userType": "Member", "department": None, "officeLocation": None}
    obj.update(kw)
    return tenant.add("users", obj)


def _contacts(msp, tenant):
    return Contact.objects.filter(msp=msp, m365_tenant=tenant)


def test_full_sync_maps_users_and_devices_with_intune(msp, connected, emu_tenant, m365_emulator):
    run = tenant_sync(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    members = [u for u in emu_tenant.objects["users"].values()
               if u["userType"] == "Member" and u["givenName"]]
    assert _contacts(msp, connected).count() == len(members)
    one = members[0]
    contact = Contact.objects.get(msp=msp, m365_object_id=one["id"])
    assert (contact.first_name, contact.last_name, contact.email) == (one["givenName"], one["surname"], one["mail"])
    assert contact.phone == one["businessPhones"][0] and contact.mobile == one["mobilePhone"]
    assert contact.is_active is one["accountEnabled"] and contact.source == Contact.Source.M365
    assert contact.client == connected.client and contact.m365_upn == one["userPrincipalName"]
    # guests and service accounts are skipped by default
    assert not _contacts(msp, connected).filter(email__startswith="svc-").exists()
    assert run.counts["contacts"]["skipped"] >= 2
    # devices → assets, enriched from Intune (serial, owner, compliance) where azureADDeviceId matches
    assert Asset.objects.filter(msp=msp, m365_tenant=connected, m365_object_id__gt="").count() == 12
    managed = next(iter(emu_tenant.objects["managed"].values()))
    asset = Asset.objects.get(msp=msp, m365_device_id=managed["azureADDeviceId"])
    assert asset.serial_number == managed["serialNumber"] and asset.intune_id == managed["id"]
    assert asset.is_compliant is (managed["complianceState"] == "compliant")
    owner = Contact.objects.filter(msp=msp, m365_upn__iexact=managed["userPrincipalName"]).first()
    assert asset.contact == owner
    # one CCA per tenant per process: one token POST for connect + sync
    assert m365_emulator.state.counts["token"] == 1  # the connect's token is reused from the cache
    connected.refresh_from_db()
    assert connected.users_delta_link and connected.devices_delta_link and connected.intune_available is True


def test_paging_follows_next_link_to_the_end(msp, m365_client, m365_emulator, scoped):
    emu = m365_emulator.state.add_tenant("Big Co", ["big.example"])
    emu.seed(users=2100, devices=0, managed=0, guests=0, disabled=0, service_accounts=0)
    tenant = tenant_connect(msp=msp, client=m365_client, tenant_id=emu.tid)
    run = tenant_sync(msp=msp, tenant=tenant)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert _contacts(msp, tenant).count() == 2100
    assert m365_emulator.state.counts["users"] == 3  # 999 + 999 + 102
    assert run.counts["contacts"]["created"] == 2100


def test_delta_partial_updates_soft_and_hard_removals(msp, connected, emu_tenant, m365_emulator):
    tenant_sync(msp=msp, tenant=connected)
    users = [u for u in emu_tenant.objects["users"].values()
             if u["userType"] == "Member" and u["givenName"] and u["accountEnabled"]]  # the seed disables ~3%
    renamed, disabled, soft, hard = users[:4]
    emu_tenant.update("users", renamed["id"], jobTitle="Chief Coffee Officer")  # partial: only jobTitle
    emu_tenant.update("users", disabled["id"], accountEnabled=False)
    emu_tenant.remove("users", soft["id"], "changed")
    emu_tenant.remove("users", hard["id"], "deleted")
    newcomer = _user(emu_tenant, givenName="Nia", surname="New")
    emu_tenant.update("users", renamed["id"], jobTitle="Chief Coffee Officer")  # replay: idempotent
    m365_emulator.state.reset_counts()

    run = tenant_sync(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert m365_emulator.state.counts["users"] == 0 and m365_emulator.state.counts["users_delta"] == 1
    c = Contact.objects.get(msp=msp, m365_object_id=renamed["id"])
    assert c.job_title == "Chief Coffee Officer" and c.first_name == renamed["givenName"]  # merged, not blanked
    d = Contact.objects.get(msp=msp, m365_object_id=disabled["id"])
    assert (d.is_active, d.m365_removed_reason) == (False, "disabled") and d.m365_removed_at
    s = Contact.objects.get(msp=msp, m365_object_id=soft["id"])
    assert (s.is_active, s.m365_removed_reason) == (False, "soft_deleted")
    h = Contact.objects.get(msp=msp, m365_object_id=hard["id"])  # never deleted
    assert (h.is_active, h.m365_removed_reason, h.deleted_at) == (False, "deleted", None)
    assert Contact.objects.filter(msp=msp, m365_object_id=newcomer["id"], first_name="Nia").exists()
    assert run.counts["contacts"] == {"seen": 3, "created": 1, "updated": 2, "deactivated": 2}

    # restore the soft-deleted user: it comes back active
    emu_tenant.restore("users", soft["id"])
    tenant_sync(msp=msp, tenant=connected)
    s.refresh_from_db()
    assert (s.is_active, s.m365_removed_reason, s.m365_removed_at) == (True, "", None)


def test_full_sync_deactivates_objects_no_longer_in_tenant(msp, connected, emu_tenant):
    tenant_sync(msp=msp, tenant=connected)
    # an enabled member: a disabled one is inactive already and would not count as deactivated
    gone = next(u for u in emu_tenant.objects["users"].values()
                if u["givenName"] and u["userType"] == "Member" and u["accountEnabled"])
    emu_tenant.removed["users"][gone["id"]] = "deleted"  # vanished without a delta trace
    run = tenant_sync(msp=msp, tenant=connected, full=True)
    assert run.counts["contacts"]["deactivated"] == 1
    contact = Contact.objects.get(msp=msp, m365_object_id=gone["id"])
    assert (contact.is_active, contact.m365_removed_reason) == (False, "not_in_tenant")


def test_manual_contact_matched_by_email_not_duplicated(msp, m365_client, connected, emu_tenant):
    user = next(u for u in emu_tenant.objects["users"].values() if u["givenName"] and u["userType"] == "Member")
    manual = ContactFactory(msp=msp, client=m365_client, first_name="Handmade", last_name="Entry",
                            email=user["mail"].upper(), notes="Prefers phone calls", is_vip=True)
    run = tenant_sync(msp=msp, tenant=connected)
    assert run.counts["contacts"]["linked"] == 1
    assert Contact.objects.filter(msp=msp, client=m365_client, email__iexact=user["mail"]).count() == 1
    manual.refresh_from_db()
    assert manual.m365_object_id == user["id"] and manual.m365_tenant == connected
    assert manual.first_name == user["givenName"]  # M365 owns the name
    assert manual.notes == "Prefers phone calls" and manual.is_vip  # technicians own these
    assert manual.source == Contact.Source.MANUAL


def test_technician_edits_survive_syncs(msp, m365_client, connected, emu_tenant):
    tenant_sync(msp=msp, tenant=connected)
    user = next(u for u in emu_tenant.objects["users"].values() if u["givenName"] and u["userType"] == "Member")
    contact = Contact.objects.get(msp=msp, m365_object_id=user["id"])
    tag = TagFactory(msp=msp, name="vip-floor")
    Contact.objects.filter(pk=contact.pk).update(notes="Key holder", is_vip=True, is_billing=True,
                                                 phone="+44 1111 222333", custom_fields={"badge": "7"})
    contact.tags.add(tag, through_defaults={"msp": msp})
    device = next(iter(emu_tenant.objects["devices"].values()))
    asset = Asset.objects.get(msp=msp, m365_object_id=device["id"])
    Asset.objects.filter(pk=asset.pk).update(kind=Asset.Kind.SERVER, site=None)

    emu_tenant.update("users", user["id"], jobTitle="Partner")  # phone unchanged in M365
    emu_tenant.update("devices", device["id"], operatingSystemVersion="99.1")
    tenant_sync(msp=msp, tenant=connected)
    contact.refresh_from_db()
    asset.refresh_from_db()
    assert contact.job_title == "Partner"
    assert (contact.notes, contact.is_vip, contact.is_billing, contact.custom_fields) == (
        "Key holder", True, True, {"badge": "7"})
    assert contact.phone == "+44 1111 222333"  # M365 did not change it: the delta leaves it alone
    assert list(contact.tags.all()) == [tag]
    assert (asset.os_version, asset.kind) == ("99.1", Asset.Kind.SERVER)
    assert ClientTag.objects.filter(msp=msp).count() == 0


def test_two_tenants_on_one_client(msp, m365_client, connected, m365_emulator):
    second = m365_emulator.state.add_tenant("Contoso Labs", ["labs.contoso.example"])
    second.seed(users=5, devices=3, managed=0, guests=0, disabled=0, service_accounts=0)
    other = tenant_connect(msp=msp, client=m365_client, tenant_id=second.tid)
    assert tenant_sync(msp=msp, tenant=connected).status == SyncRun.Status.SUCCEEDED
    assert tenant_sync(msp=msp, tenant=other).status == SyncRun.Status.SUCCEEDED
    assert Contact.objects.filter(msp=msp, client=m365_client, m365_tenant=other).count() == 5
    assert Contact.objects.filter(msp=msp, client=m365_client, m365_tenant=connected).count() > 5
    assert set(M365Tenant.objects.filter(msp=msp, client=m365_client).values_list("pk", flat=True)) == {
        connected.pk, other.pk}


def test_tenant_belongs_to_one_client_per_msp(msp, connected, emu_tenant):
    from django.core.exceptions import ValidationError

    elsewhere = ClientFactory(msp=msp, name="Someone Else")
    with pytest.raises(ValidationError) as exc:
        tenant_connect(msp=msp, client=elsewhere, tenant_id=emu_tenant.tid)
    assert "already connected" in str(exc.value)


def test_intune_only_device_matches_manual_asset_by_serial(msp, m365_client, connected, emu_tenant):
    import uuid

    from integrations.m365.emulator import ZERO_GUID

    phone = emu_tenant.add("managed", {
        "id": str(uuid.uuid4()), "azureADDeviceId": ZERO_GUID, "deviceName": "Personal iPhone",
        "serialNumber": "F2LXK0001", "manufacturer": "Apple", "model": "iPhone 15", "operatingSystem": "iOS",
        "osVersion": "17.5", "lastSyncDateTime": "2026-06-01T10:00:00Z", "userPrincipalName": None,
        "complianceState": "compliant"})
    manual = AssetFactory(msp=msp, client=m365_client, name="Ops phone", serial_number="F2LXK0001")
    tenant_sync(msp=msp, tenant=connected)
    manual.refresh_from_db()
    assert manual.intune_id == phone["id"] and manual.is_compliant is True and manual.name == "Ops phone"
    assert Asset.objects.filter(msp=msp, serial_number="F2LXK0001").count() == 1


def test_archived_client_is_skipped_and_not_scheduled(msp, m365_client, connected, emu_tenant, m365_emulator):
    from django.utils import timezone

    m365_client.status, m365_client.archived_at = "archived", timezone.now()
    m365_client.save()
    connected.refresh_from_db()
    m365_emulator.state.reset_counts()
    run = tenant_sync(msp=msp, tenant=connected)
    assert (run.status, run.error_code) == (SyncRun.Status.SKIPPED, "client_archived")
    assert m365_emulator.state.counts["total"] == 0
    assert tenants_due(msp=msp) == []


def test_one_sync_per_tenant_at_a_time(msp, connected):
    from integrations.m365.locks import TenantLock

    other = TenantLock(msp=msp, tenant=connected, holder="another-host:1:0")
    assert other.acquire()
    try:
        run = tenant_sync(msp=msp, tenant=connected)
        assert (run.status, run.error_code) == (SyncRun.Status.SKIPPED, "busy")
    finally:
        other.release()
    assert tenant_sync(msp=msp, tenant=connected).status == SyncRun.Status.SUCCEEDED


def test_guests_and_disabled_follow_tenant_toggles(msp, m365_client, m365_emulator, scoped):
    emu = m365_emulator.state.add_tenant("Toggle Co", ["toggle.example"])
    _user(emu, givenName="Gus", surname="Guest", userType="Guest",
          userPrincipalName="gus_x.example#EXT#@toggle.example", mail="gus@x.example")
    _user(emu, givenName="Dee", surname="Disabled", accountEnabled=False)
    _user(emu, givenName="Ann", surname="Active")
    tenant = tenant_connect(msp=msp, client=m365_client, tenant_id=emu.tid)
    tenant.include_disabled = False
    tenant.save()
    tenant_sync(msp=msp, tenant=tenant)
    assert set(_contacts(msp, tenant).values_list("first_name", flat=True)) == {"Ann"}
    tenant.include_guests = tenant.include_disabled = True
    tenant.save()
    tenant_sync(msp=msp, tenant=tenant, full=True)
    assert set(_contacts(msp, tenant).values_list("first_name", "is_active")) == {
        ("Ann", True), ("Dee", False), ("Gus", True)}
