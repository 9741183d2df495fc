"""Tenant health against the emulator (licensed users, licences, Secure Score, MFA),
permissions that degrade to "not granted", and the one health rule rolled up per client."""

from __future__ import annotations

import pytest

from clients.selectors import client_list
from clients.tests.factories import ClientFactory
from integrations.m365.health import reasons, status_of, tenant_health_refresh, tenants_health_refresh, with_health
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.sync import tenant_sync
from integrations.m365.tests.factories import M365TenantFactory

pytestmark = pytest.mark.django_db


def _licensed(emu):
    return sum(1 for u in emu.objects["users"].values() if u.get("assignedLicenses"))


def test_sync_reads_the_tenant_health(msp, connected, emu_tenant, m365_emulator):
    run = tenant_sync(msp=msp, tenant=connected)
    assert run.status == SyncRun.Status.SUCCEEDED
    t = M365Tenant.objects.get(msp=msp, pk=connected.pk)
    assert t.licensed_users == _licensed(emu_tenant) > 0
    spb = next(sku for sku in t.licences if sku["sku"] == "SPB")
    assert spb["name"] == "Microsoft 365 Business Premium" and spb["consumed"] == t.licensed_users
    assert spb["prepaid"] == t.licensed_users + 2 and t.licences_over == 0 and t.licences_suspended == 0
    latest = emu_tenant.secure_scores[0]
    assert t.secure_score == latest["currentScore"] and t.secure_score_max == latest["maxScore"]
    assert len(t.secure_score_trend) == 30 and t.secure_score_trend[-1][1] == t.secure_score_pct
    assert t.secure_score_trend[0][0] < t.secure_score_trend[-1][0]  # oldest first
    members = [r for r in emu_tenant.registrations() if r["userType"] == "member"]
    assert (t.mfa_registered, t.mfa_users) == (sum(r["isMfaRegistered"] for r in members), len(members))
    assert t.health_missing == {} and t.health_error == "" and t.health_refreshed_at
    assert m365_emulator.state.counts["users_count"] == 1 and m365_emulator.state.counts["secureScores"] == 1


def test_missing_permissions_degrade_to_not_granted(msp, connected, emu_tenant, m365_emulator):
    emu_tenant.roles -= {"SecurityEvents.Read.All", "AuditLog.Read.All"}
    m365_emulator.state.revoke_tokens(emu_tenant.tid)  # a new token carries the new roles
    t = tenant_health_refresh(msp=msp, tenant=connected)
    assert t.health_missing == {"secure_score": "SecurityEvents.Read.All", "mfa": "AuditLog.Read.All"}
    assert t.secure_score is None and t.mfa_users is None and t.health_error == ""
    assert t.licensed_users == _licensed(emu_tenant)  # the granted parts are still read


def test_throttling_is_retried_and_registrations_are_paged(msp, connected, emu_tenant, m365_emulator):
    state = m365_emulator.state
    state.registration_page_size = 7
    state.fault("subscribedSkus", 429, retry_after=0, times=2)
    state.fault("userRegistrationDetails", 503, retry_after=0, skip=1)
    t = tenant_health_refresh(msp=msp, tenant=connected)
    assert t.health_error == "" and t.licences
    pages = -(-len(emu_tenant.registrations()) // 7)
    assert state.counts["subscribedSkus"] == 3 and state.counts["userRegistrationDetails"] == pages + 1
    assert t.mfa_users == sum(1 for r in emu_tenant.registrations() if r["userType"] == "member")


def test_a_refused_token_is_recorded_not_raised(msp, connected, emu_tenant, m365_emulator):
    emu_tenant.consented = False
    m365_emulator.state.revoke_tokens(emu_tenant.tid)
    from integrations.m365.graph import reset_clients

    reset_clients()
    t = tenant_health_refresh(msp=msp, tenant=connected)
    assert "Reconnect required" in t.health_error and t.licensed_users is None  # nothing read, nothing lost


def test_many_tenants_refresh_in_threads(msp, m365_client, m365_emulator, scoped):
    from integrations.m365.services import tenant_connect

    tenants = []
    for n in range(5):
        emu = m365_emulator.state.add_tenant(f"T{n}", [f"t{n}.example"])
        emu.seed(users=12, devices=0, managed=0, seed=n)
        tenants.append(tenant_connect(msp=msp, client=m365_client, tenant_id=emu.tid, patience=0))
    assert tenants_health_refresh(msp=msp, tenants=tenants, threads=3) == {"refreshed": 5, "failed": 0}
    assert all(t.licensed_users for t in M365Tenant.objects.filter(msp=msp))


@pytest.mark.parametrize(("fields", "status", "why"), [
    ({}, "healthy", []),
    ({"licences_suspended": 1}, "critical", ["A licence has suspended units"]),
    ({"secure_score_pct": 39.9}, "critical", ["Secure Score below 40%"]),
    ({"secure_score_pct": 40.0, "licences_over": 2}, "attention", ["Licences over-assigned"]),
    ({"health_message": "Microsoft busy, will retry."}, "attention", ["The last sync failed"]),
    ({"consent_state": "reconnect_required"}, "attention", ["Reconnect required"]),
    ({"consent_state": "pending"}, "pending", ["Waiting for consent"]),
    ({"licences_warning": 1, "secure_score_pct": 12}, "critical",
     ["Secure Score below 40%", "Licences in their grace period"]),
])
def test_the_health_rule(scoped, fields, status, why):
    tenant = M365TenantFactory(msp=scoped, **{"consent_state": "connected", **fields})
    annotated = with_health(M365Tenant.objects.filter(msp=scoped, pk=tenant.pk)).get()
    assert status_of(annotated.health_rank) == status and reasons(annotated) == why


def test_customer_health_is_the_worst_tenant_and_users_are_summed(scoped):
    worst = ClientFactory(msp=scoped, name="A")
    M365TenantFactory(msp=scoped, client=worst, consent_state="connected", licensed_users=10)
    M365TenantFactory(msp=scoped, client=worst, consent_state="connected", licensed_users=5, licences_over=1)
    calm = ClientFactory(msp=scoped, name="B")
    M365TenantFactory(msp=scoped, client=calm, consent_state="connected", licensed_users=3)
    bare = ClientFactory(msp=scoped, name="C")
    rows = {c.pk: c for c in client_list(msp=scoped)}
    assert (rows[worst.pk].m365_tenant_count, rows[worst.pk].m365_licensed_users,
            status_of(rows[worst.pk].m365_health_rank)) == (2, 15, "attention")
    assert status_of(rows[calm.pk].m365_health_rank) == "healthy" and rows[calm.pk].m365_licensed_users == 3
    assert (rows[bare.pk].m365_tenant_count, status_of(rows[bare.pk].m365_health_rank)) == (0, "no_tenants")
