"""Intune enrichment without a delta API: complete listings on full syncs and when the
last one is older than M365_INTUNE_FULL_EVERY_HOURS, otherwise only the devices that
checked in since the last listing began ($filter=lastSyncDateTime ge …)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import Asset
from integrations.m365.emulator import ZERO_GUID
from integrations.m365.emulator.server import _filter
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.sync import tenant_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(msp, connected, emu_tenant, m365_emulator):
    """The connected tenant after its first sync (a complete Intune listing), the
    emulator's counters and recorded queries cleared. Seeded check-ins are dated
    well in the past, whatever today's date."""
    for obj in emu_tenant.objects["managed"].values():
        obj["lastSyncDateTime"] = "2020-01-01T10:00:00Z"
    run = tenant_sync(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    m365_emulator.state.reset_counts()
    return connected


def _managed_queries(emulator) -> list[dict]:
    return [query for route, query in emulator.state.queries if route == "managed"]


def _sync(msp, tenant, **kw) -> SyncRun:
    tenant.refresh_from_db()
    run = tenant_sync(msp=msp, tenant=tenant, **kw)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    return run


def _backdate_complete_listing(msp, tenant, hours: float) -> None:
    M365Tenant.objects.filter(msp=msp, pk=tenant.pk).update(
        intune_full_listed_at=timezone.now() - timedelta(hours=hours))


def test_first_sync_lists_every_managed_device_and_remembers_when(msp, connected, emu_tenant, m365_emulator):
    before = timezone.now()
    run = _sync(msp, connected)
    (query,) = _managed_queries(m365_emulator)
    assert "$filter" not in query and query["$top"] == "999"
    assert run.counts["assets"]["intune_seen"] == len(emu_tenant.objects["managed"])
    connected.refresh_from_db()
    assert before <= connected.intune_listed_at == connected.intune_full_listed_at <= timezone.now()


def test_delta_asks_only_for_devices_that_checked_in(msp, synced, emu_tenant, m365_emulator):
    listed_at = synced.intune_listed_at
    flipped, moved = list(emu_tenant.objects["managed"].values())[:2]
    compliant = flipped["complianceState"] == "compliant"
    emu_tenant.check_in(flipped["id"], complianceState="noncompliant" if compliant else "compliant")
    emu_tenant.check_in(moved["id"])
    emu_tenant.update("managed", list(emu_tenant.objects["managed"])[2], osVersion="10.0.1")  # no check-in

    run = _sync(msp, synced)
    (query,) = _managed_queries(m365_emulator)
    since = listed_at - timedelta(minutes=15)  # M365_INTUNE_OVERLAP_MINUTES
    assert query["$filter"] == f"lastSyncDateTime ge {since:%Y-%m-%dT%H:%M:%S}Z"
    assert m365_emulator.state.counts["managed"] == 1
    assert run.counts["assets"]["intune_seen"] == 2  # the third device did not check in: not asked for
    asset = Asset.objects.get(msp=msp, intune_id=flipped["id"])
    assert asset.is_compliant is (not compliant)
    assert any(note.startswith(f"Intune: 2 changed devices since {since:%Y-%m-%d %H:%M} UTC")
               for note in run.notes)
    synced.refresh_from_db()
    assert synced.intune_listed_at > listed_at and synced.intune_full_listed_at == listed_at


def test_full_sync_and_stale_complete_listing_list_every_device(msp, synced, emu_tenant, m365_emulator, settings):
    unreported = next(oid for oid, obj in emu_tenant.objects["managed"].items() if obj["complianceState"] == "compliant")
    emu_tenant.update("managed", unreported, complianceState="noncompliant")  # changed without a check-in
    total = len(emu_tenant.objects["managed"])

    run = _sync(msp, synced, full=True)
    assert "$filter" not in _managed_queries(m365_emulator)[-1]
    assert run.counts["assets"]["intune_seen"] == total
    assert Asset.objects.get(msp=msp, intune_id=unreported).is_compliant is False

    _sync(msp, synced)  # the complete listing just began: changes only
    assert "$filter" in _managed_queries(m365_emulator)[-1]

    _backdate_complete_listing(msp, synced, hours=25)  # default M365_INTUNE_FULL_EVERY_HOURS is 24
    run = _sync(msp, synced)
    assert "$filter" not in _managed_queries(m365_emulator)[-1]
    assert run.counts["assets"]["intune_seen"] == total
    assert f"Intune: complete listing, {total} devices" in run.notes

    settings.M365_INTUNE_FULL_EVERY_HOURS = 1
    _backdate_complete_listing(msp, synced, hours=2)
    _sync(msp, synced)
    assert "$filter" not in _managed_queries(m365_emulator)[-1]
    _backdate_complete_listing(msp, synced, hours=0.5)
    _sync(msp, synced)
    assert "$filter" in _managed_queries(m365_emulator)[-1]


def test_removed_managed_device_is_handled_on_the_next_complete_listing(msp, synced, emu_tenant, m365_emulator):
    phone = emu_tenant.add("managed", {
        "id": str(uuid.uuid4()), "azureADDeviceId": ZERO_GUID, "deviceName": "Personal iPhone",
        "serialNumber": "F2LXK0002", "manufacturer": "Apple", "model": "iPhone 15", "operatingSystem": "iOS",
        "osVersion": "17.5", "lastSyncDateTime": "2020-01-01T10:00:00Z", "userPrincipalName": None,
        "complianceState": "compliant"})
    _sync(msp, synced, full=True)  # the Intune-only phone becomes an asset
    enabled = {d["deviceId"] for d in emu_tenant.objects["devices"].values() if d["accountEnabled"]}
    linked = next(m for m in emu_tenant.objects["managed"].values() if m["azureADDeviceId"] in enabled)
    emu_tenant.remove("managed", phone["id"])  # retired: gone from Intune's listing
    emu_tenant.remove("managed", linked["id"])

    run = _sync(msp, synced)  # changes only: a removal leaves no trace to ask for
    assert "$filter" in _managed_queries(m365_emulator)[-1]
    phone_asset = Asset.objects.get(msp=msp, intune_id=phone["id"])
    assert phone_asset.is_active and run.counts["assets"].get("deactivated", 0) == 0

    _backdate_complete_listing(msp, synced, hours=25)
    run = _sync(msp, synced)
    phone_asset.refresh_from_db()
    assert (phone_asset.is_active, phone_asset.removed_reason) == (False, "not_in_intune")
    entra_asset = Asset.objects.get(msp=msp, m365_device_id=linked["azureADDeviceId"])
    assert entra_asset.intune_id == "" and entra_asset.is_active  # still in Entra, no longer in Intune
    assert entra_asset.serial_number == linked["serialNumber"]  # the hardware fact stays
    assert (run.counts["assets"]["deactivated"], run.counts["assets"]["intune_cleared"]) == (1, 1)


def test_a_refused_filter_falls_back_to_a_complete_listing(msp, synced, emu_tenant, m365_emulator):
    m365_emulator.state.fault("managed", 400, code="BadRequest")
    run = _sync(msp, synced)
    first, second = _managed_queries(m365_emulator)
    assert "$filter" in first and "$filter" not in second
    assert run.counts["assets"]["intune_seen"] == len(emu_tenant.objects["managed"])
    assert any("filter was refused (BadRequest)" in note for note in run.notes)
    synced.refresh_from_db()
    assert synced.intune_full_listed_at == synced.intune_listed_at and synced.intune_available is True


def test_emulator_filter_compares_times_not_strings():
    since = _filter("managed", "lastSyncDateTime ge 2026-06-01T09:00:00Z")
    assert since({"lastSyncDateTime": "2026-06-01T09:00:00Z"})
    assert not since({"lastSyncDateTime": "2026-06-01T10:00:00+02:00"})  # 08:00 UTC, though "greater" as text
    assert since({"lastSyncDateTime": "2026-06-01T08:00:00-02:00"})  # 10:00 UTC
    assert not since({"lastSyncDateTime": None})
    assert _filter("managed", "deviceName eq 'x'") is None
    assert _filter("users", "lastSyncDateTime ge 2026-06-01T09:00:00Z") is None
    assert _filter("managed", "lastSyncDateTime ge yesterday") is None
