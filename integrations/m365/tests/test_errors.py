"""Every row of the error table (design/m365-sync.md §5), through the emulator.
The consent-callback rows (declined, bad state) are in test_views.py."""

from __future__ import annotations

import pytest
from django.core import mail

from contacts.models import Contact
from integrations.m365.errors import FRIENDLY, Kind
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.services import tenant_connect, tenants_due
from integrations.m365.sync import tenant_sync

pytestmark = pytest.mark.django_db


def _sync(msp, tenant, **kw) -> SyncRun:
    tenant.refresh_from_db()
    return tenant_sync(msp=msp, tenant=tenant, **kw)


@pytest.mark.parametrize("code", [700016, 7000229, 65001])
def test_not_consented_or_removed_app_needs_reconnect_and_pauses_schedule(code, msp, connected, emu_tenant):
    from integrations.m365.graph import reset_clients

    reset_clients()  # a new process: no cached token
    emu_tenant.token_error = code
    run = _sync(msp, connected)
    assert (run.status, run.error_code) == (SyncRun.Status.FAILED, f"AADSTS{code}")
    assert run.error_message == FRIENDLY[Kind.RECONNECT]
    assert "AADSTS" not in run.error_message and "directory" not in run.error_message  # never MS's text
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.RECONNECT_REQUIRED
    assert tenants_due(msp=msp) == []  # the schedule skips it
    emu_tenant.token_error = None  # admin reconnected
    assert _sync(msp, connected).status == SyncRun.Status.SUCCEEDED
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.CONNECTED and connected.health_message == ""


@pytest.mark.parametrize("expired", [False, True])
def test_bad_msp_credential_alerts_once_and_fails_every_tenant_fast(expired, msp, m365_client, connected,
                                                                    m365_emulator, settings):
    from integrations.m365.graph import reset_clients

    second = m365_emulator.state.add_tenant("Other", ["other.example"])
    other = tenant_connect(msp=msp, client=m365_client.__class__.objects.create(msp=msp, name="Other Client"),
                           tenant_id=second.tid)
    reset_clients()
    settings.ADMINS = [("Ops", "ops@example.com")]
    if expired:
        m365_emulator.state.apps[settings.M365_CLIENT_ID].expired = True
    else:
        settings.M365_CLIENT_SECRET = "wrong-secret"
    run = _sync(msp, connected)
    assert run.error_code == ("AADSTS7000222" if expired else "AADSTS7000215")
    assert run.error_message == FRIENDLY[Kind.CREDENTIALS]
    before = m365_emulator.state.counts["token"]
    run2 = _sync(msp, other)
    assert run2.status == SyncRun.Status.FAILED and run2.error_message == FRIENDLY[Kind.CREDENTIALS]
    assert m365_emulator.state.counts["token"] == before  # failed fast, Microsoft not asked again
    assert len(mail.outbox) == 1 and "credential" in mail.outbox[0].subject
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.CONNECTED  # not the tenant's fault


def test_unknown_tenant_is_tenant_not_found(msp, connected, m365_emulator):
    from integrations.m365.graph import reset_clients

    del m365_emulator.state.tenants[str(connected.tenant_id)]  # discovery answers 400 → msal ValueError
    reset_clients()
    run = _sync(msp, connected)
    assert (run.error_code, run.error_message) == ("AADSTS90002", FRIENDLY[Kind.TENANT_NOT_FOUND])
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.RECONNECT_REQUIRED


def test_token_endpoint_tenant_not_found(msp, connected, emu_tenant):
    from integrations.m365.graph import reset_clients

    reset_clients()
    emu_tenant.token_error = 90002
    run = _sync(msp, connected)
    assert (run.error_code, run.error_message) == ("AADSTS90002", FRIENDLY[Kind.TENANT_NOT_FOUND])


def test_429_storm_is_ridden_out_with_retry_after(msp, connected, m365_emulator):
    state = m365_emulator.state
    state.fault("users", 429, retry_after=1, times=2)
    state.fault("devices", 503, times=2)  # no Retry-After: exponential backoff
    state.fault("managed", 504, retry_after=0)
    run = _sync(msp, connected)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert state.counts["users"] == 3 and state.counts["devices"] == 3 and state.counts["managed"] == 2
    graph_calls = state.counts["total"] - sum(state.counts[r] for r in ("token", "discovery", "organization"))
    assert run.requests == graph_calls


def test_throttling_beyond_the_limit_says_microsoft_busy(msp, connected, m365_emulator):
    m365_emulator.state.fault("users", 429, retry_after=0, times=10)
    run = _sync(msp, connected)
    assert (run.status, run.error_code, run.error_message) == (SyncRun.Status.FAILED, "TooManyRequests",
                                                               "Microsoft busy, will retry.")
    assert m365_emulator.state.counts["users"] == 5  # bounded: M365_MAX_TRIES
    assert run.error.retry_after == 0
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.CONNECTED


def test_long_retry_after_is_not_slept_in_task(msp, connected, m365_emulator):
    m365_emulator.state.fault("users", 429, retry_after=3600)
    run = _sync(msp, connected)
    assert run.error_message == "Microsoft busy, will retry." and run.error.retry_after == 3600
    assert m365_emulator.state.counts["users"] == 1


def test_token_endpoint_throttled_is_retried(msp, connected, emu_tenant, m365_emulator):
    from integrations.m365.graph import reset_clients

    reset_clients()
    m365_emulator.state.reset_counts()
    m365_emulator.state.fault("token", "aadsts", code=90055)
    run = _sync(msp, connected)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert m365_emulator.state.counts["token"] == 2


def test_missing_graph_permission_names_it(msp, connected, emu_tenant):
    from integrations.m365.graph import reset_clients

    emu_tenant.roles.discard("User.Read.All")  # consented before the permission was added
    reset_clients()
    run = _sync(msp, connected)
    assert (run.error_code, run.error_message) == ("Authorization_RequestDenied",
                                                    "Permission User.Read.All missing: re-run Connect.")
    connected.refresh_from_db()
    assert connected.consent_state == M365Tenant.ConsentState.RECONNECT_REQUIRED


def test_token_expiring_mid_sync_is_refreshed_once(msp, m365_client, m365_emulator, scoped):
    emu = m365_emulator.state.add_tenant("Expiring", ["expiring.example"])
    emu.seed(users=2500, devices=5, managed=0, guests=0, disabled=0, service_accounts=0)
    tenant = tenant_connect(msp=msp, client=m365_client, tenant_id=emu.tid)
    m365_emulator.state.reset_counts()
    m365_emulator.state.fault("users", "expire_tokens", skip=1)  # revoked before page 2
    run = _sync(msp, tenant)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
    assert m365_emulator.state.counts["token"] == 1  # the cached one first, then exactly one fresh token
    assert Contact.objects.filter(msp=msp, m365_tenant=tenant).count() == 2500


def test_graph_rejecting_fresh_tokens_is_a_token_error(msp, connected, m365_emulator):
    m365_emulator.state.fault("users", 401, times=2)
    run = _sync(msp, connected)
    assert (run.error_code, run.error_message) == ("InvalidAuthenticationToken", FRIENDLY[Kind.TOKEN])
    assert m365_emulator.state.counts["users"] == 2  # refreshed once, not forever


@pytest.mark.parametrize("mode", ["410", "syncStateNotFound"])
def test_expired_delta_token_means_silent_full_resync(mode, msp, connected, emu_tenant, m365_emulator):
    assert _sync(msp, connected).status == SyncRun.Status.SUCCEEDED
    emu_tenant.expire_delta_tokens(mode)
    m365_emulator.state.reset_counts()
    run = _sync(msp, connected)
    assert run.status == SyncRun.Status.SUCCEEDED and run.error_code == ""
    assert m365_emulator.state.counts["users"] == 1  # full listing
    assert any("full resync" in note for note in run.notes)
    assert run.counts["contacts"].get("created", 0) == 0  # nothing duplicated


@pytest.mark.parametrize("problem", ["unlicensed", "forbidden"])
def test_intune_unavailable_skips_enrichment(problem, msp, connected, emu_tenant):
    from integrations.m365.graph import reset_clients

    if problem == "unlicensed":
        emu_tenant.intune = False  # 400 "Request not applicable to target tenant."
    else:
        emu_tenant.roles.discard("DeviceManagementManagedDevices.Read.All")  # 403
        reset_clients()
    run = _sync(msp, connected)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert any("Intune not available" in note for note in run.notes)
    connected.refresh_from_db()
    assert connected.intune_available is False
