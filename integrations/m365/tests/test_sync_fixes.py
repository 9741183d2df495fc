"""Issue 14's sync defects, each against the (now stricter) emulator: partial delta
objects of skipped users, no-op full syncs, the token scope behind a proxy, runs left
"running" by a crash, and a sync racing a client merge."""

from __future__ import annotations

import uuid

import pytest

from assets.models import Asset
from clients.merge import client_merge_execute, client_merge_start
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from integrations.m365 import conf
from integrations.m365.graph import reset_clients
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.sync import TenantSync, tenant_sync

pytestmark = pytest.mark.django_db


def _add_user(emu, **kw):
    n = len(emu.objects["users"])
    local = kw.pop("local", f"extra{n}")
    obj = {"id": str(uuid.uuid4()), "displayName": f"Extra {n}", "givenName": "Extra", "surname": f"N{n}",
           "mail": f"{local}@{emu.domains[0]}", "userPrincipalName": f"{local}@{emu.domains[0]}",
           "jobTitle": None, "mobilePhone": None, "businessPhones": [], "accountEnabled": True,
           "userType": "Member", "department": None, "officeLocation": None}
    obj.update(kw)
    return emu.add("users", obj)


def test_partial_delta_of_skipped_users_creates_nothing(msp, connected, emu_tenant, m365_emulator):
    guest = _add_user(emu_tenant, local="partner_x.example#EXT#", userType="Guest", mail="x@partner.example")
    scanner = next(u for u in emu_tenant.objects["users"].values() if u["displayName"] == "scanner")
    assert tenant_sync(msp=msp, tenant=connected).status == SyncRun.Status.SUCCEEDED
    before = Contact.objects.filter(msp=msp).count()

    emu_tenant.update("users", guest["id"], department="Sales")
    emu_tenant.update("users", scanner["id"], accountEnabled=False)
    connected.refresh_from_db()
    run = tenant_sync(msp=msp, tenant=connected)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert Contact.objects.filter(msp=msp).count() == before
    assert not Contact.objects.filter(msp=msp, first_name="", last_name="", email="").exists()
    assert run.counts["contacts"]["skipped"] == 2 and run.counts["contacts"]["read_whole"] == 2


def test_partial_delta_of_a_skipped_user_who_becomes_wanted_creates_a_whole_contact(msp, connected, emu_tenant):
    mailbox = _add_user(emu_tenant, local="scanner-front", displayName="scanner-front", givenName=None,
                        surname=None)
    tenant_sync(msp=msp, tenant=connected)
    assert not Contact.objects.filter(msp=msp, m365_object_id=mailbox["id"]).exists()  # a nameless mailbox

    emu_tenant.update("users", mailbox["id"], givenName="Front", surname="Desk")  # now a person's: partial
    connected.refresh_from_db()
    tenant_sync(msp=msp, tenant=connected)

    contact = Contact.objects.get(msp=msp, m365_object_id=mailbox["id"])
    assert (contact.first_name, contact.last_name, contact.email) == ("Front", "Desk", "scanner-front@contoso.example")


def test_full_sync_without_changes_writes_nothing(msp, connected, emu_tenant):
    assert tenant_sync(msp=msp, tenant=connected, full=True).status == SyncRun.Status.SUCCEEDED
    stamps = {
        "assets": dict(Asset.objects.filter(msp=msp).values_list("id", "updated_at")),
        "contacts": dict(Contact.objects.filter(msp=msp).values_list("id", "updated_at")),
    }
    assert any(Asset.objects.filter(msp=msp).exclude(intune_id="").values_list("id", flat=True))

    run = tenant_sync(msp=msp, tenant=connected, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert dict(Asset.objects.filter(msp=msp).values_list("id", "updated_at")) == stamps["assets"]
    assert dict(Contact.objects.filter(msp=msp).values_list("id", "updated_at")) == stamps["contacts"]
    assert run.counts["assets"].get("updated", 0) == 0 and run.counts["assets"].get("enriched", 0) == 0
    assert run.counts["contacts"].get("updated", 0) == 0


def test_full_sync_after_intune_check_ins_then_again_writes_nothing(msp, connected, emu_tenant):
    tenant_sync(msp=msp, tenant=connected, full=True)
    for oid in list(emu_tenant.objects["managed"])[:3]:
        state = emu_tenant.objects["managed"][oid]["complianceState"]
        emu_tenant.check_in(oid, complianceState="noncompliant" if state == "compliant" else "compliant")
    tenant_sync(msp=msp, tenant=connected, full=True)
    stamps = dict(Asset.objects.filter(msp=msp).values_list("id", "updated_at"))

    tenant_sync(msp=msp, tenant=connected, full=True)

    assert dict(Asset.objects.filter(msp=msp).values_list("id", "updated_at")) == stamps


def test_graph_scope_is_configurable_for_a_proxy_in_front_of_graph(msp, connected, emu_tenant, settings):
    # The emulator (like Entra) only issues tokens for Graph's resource, whatever host
    # it is reached at: M365_GRAPH_URL points at it, M365_GRAPH_SCOPE names Graph.
    assert settings.M365_GRAPH_SCOPE == "https://graph.microsoft.com/.default"
    assert conf.graph_scope() == "https://graph.microsoft.com/.default"
    assert tenant_sync(msp=msp, tenant=connected).status == SyncRun.Status.SUCCEEDED

    del settings.M365_GRAPH_SCOPE
    reset_clients()
    assert conf.graph_scope() == f"{settings.M365_GRAPH_URL}/.default"  # the default: derived as before
    run = tenant_sync(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.FAILED and run.error_code == "AADSTS1002012"


def test_graph_scope_default_for_national_clouds(settings):
    if hasattr(settings, "M365_GRAPH_SCOPE"):
        del settings.M365_GRAPH_SCOPE
    settings.M365_GRAPH_URL = "https://graph.microsoft.us"
    assert conf.graph_scope() == "https://graph.microsoft.us/.default"


def test_a_crash_closes_the_run_and_releases_the_lock(msp, connected, monkeypatch):
    def boom(self, objs):
        raise RuntimeError("bug")

    monkeypatch.setattr(TenantSync, "apply_devices", boom)
    with pytest.raises(RuntimeError):
        tenant_sync(msp=msp, tenant=connected)
    run = SyncRun.objects.get(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.FAILED and run.error_code == "internal_error" and run.finished_at
    assert run.counts["contacts"]["created"] > 0  # what was done is still reported

    monkeypatch.undo()
    assert tenant_sync(msp=msp, tenant=connected).status == SyncRun.Status.SUCCEEDED  # the lock was released


def test_a_merge_during_the_sync_stops_it_before_it_writes_onto_the_archived_source(
        msp, m365_client, m365_emulator, scoped, user, monkeypatch):
    from integrations.m365.services import tenant_connect

    emu = m365_emulator.state.add_tenant("Big Co", ["big.example"])
    emu.seed(users=2100, devices=0, managed=0, guests=0, disabled=0, service_accounts=0)
    tenant = tenant_connect(msp=msp, client=m365_client, tenant_id=emu.tid)
    target = ClientFactory(msp=msp, name="Contoso Group")
    real_progress = TenantSync._progress
    merged = []

    def progress_then_merge(self, seen=0):
        real_progress(self, seen)
        if self.phase == "users" and seen and not merged:  # after the first page committed
            merge = client_merge_start(msp=msp, target=target, sources=[m365_client], actor=user)
            merged.append(client_merge_execute(msp=msp, merge=merge))

    monkeypatch.setattr(TenantSync, "_progress", progress_then_merge)
    run = tenant_sync(msp=msp, tenant=tenant)

    assert merged[0].status == "done", merged[0].error
    assert run.status == SyncRun.Status.SKIPPED and run.error_code == "client_merged"
    assert not Contact.objects.filter(msp=msp, client=m365_client).exists()
    assert Contact.objects.filter(msp=msp, client=target, m365_tenant=tenant).count() == 999  # page 1, moved
    tenant = M365Tenant.objects.get(msp=msp, pk=tenant.pk)
    assert tenant.client == target and tenant.health_message == ""
    assert tenant_sync(msp=msp, tenant=tenant).status == SyncRun.Status.SUCCEEDED  # continues on the target
    assert Contact.objects.filter(msp=msp, client=target, m365_tenant=tenant).count() == 2100
