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


def _world(msp):
    calm = ClientFactory(msp=msp, name="Calm Co")
    M365TenantFactory(msp=msp, client=calm, licensed_users=7, secure_score_pct=72.0)
    red = ClientFactory(msp=msp, name="Red Co")
    M365TenantFactory(msp=msp, client=red, licensed_users=40, licences_suspended=1)
    M365TenantFactory(msp=msp, client=red, licensed_users=2)
    ClientFactory(msp=msp, name="Bare Co")
    return calm, red


def test_customer_list_shows_sorts_and_filters_health(web, msp, scoped):
    _world(msp)
    html = web.get("/clients/").content.decode()
    for label in ("Tenants", "Total users", "Health", "Critical", "Healthy", "No tenants"):
        assert label in html
    worst_first = web.get("/clients/?sort=-m365_health").content.decode()
    assert worst_first.index("Red Co") < worst_first.index("Calm Co") < worst_first.index("Bare Co")
    most_users = web.get("/clients/?sort=-m365_users").content.decode()
    assert most_users.index("Red Co") < most_users.index("Calm Co")
    only_red = web.get("/clients/?health=critical").content.decode()
    assert "Red Co" in only_red and "Calm Co" not in only_red and "Bare Co" not in only_red


def test_customer_list_queries_stay_constant(web, msp, scoped):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert web.get("/clients/?health=healthy").status_code == 200
        return len(captured.captured_queries)

    _world(msp)
    few = count()
    for n in range(6):
        client = ClientFactory(msp=msp, name=f"More {n}")
        M365TenantFactory(msp=msp, client=client, licensed_users=n, secure_score_pct=60.0)
    assert count() == few


def test_overview_shows_the_summaries(web, msp, scoped):
    calm, _ = _world(msp)
    M365Tenant.objects.filter(msp=msp, client=calm).update(**OVERVIEW_HEALTH)
    html = web.get(f"/clients/{calm.pk}/").content.decode()
    assert "Microsoft 365 Business Premium" in html and "<svg class=\"trend\"" in html and "72%" in html
    assert "AuditLog.Read.All" in html


OVERVIEW_HEALTH = {
    "secure_score": 57.6, "secure_score_max": 80, "secure_score_pct": 72.0, "health_missing": {"mfa": "AuditLog.Read.All"},
    "secure_score_trend": [["2026-11-01", 60.0], ["2026-11-15", 66.0], ["2026-12-01", 72.0]],
    "licences": [{"sku": "SPB", "name": "Microsoft 365 Business Premium", "consumed": 7, "prepaid": 9, "warning": 0,
                  "suspended": 0}],
}


def test_a_sync_skips_mfa_registration_read_recently(msp, connected, emu_tenant, m365_emulator):
    tenant_sync(msp=msp, tenant=connected)
    assert m365_emulator.state.counts["userRegistrationDetails"] == 1
    connected.refresh_from_db()
    tenant_sync(msp=msp, tenant=connected)
    t = M365Tenant.objects.get(msp=msp, pk=connected.pk)
    assert m365_emulator.state.counts["userRegistrationDetails"] == 1 and m365_emulator.state.counts["subscribedSkus"] == 2
    assert t.mfa_users and t.health_missing == {}
