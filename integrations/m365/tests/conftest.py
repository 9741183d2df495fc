"""Fixtures: the HTTPS emulator (one server per test session, fresh state per test)
with OpsMerge's settings pointed at it, and helpers to connect tenants."""

from __future__ import annotations

import pytest

from clients.tests.factories import ClientDomainFactory, ClientFactory
from integrations.m365.emulator import Emulator
from integrations.m365.graph import reset_clients


@pytest.fixture(scope="session")
def m365_emulator_server():
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def m365_emulator(m365_emulator_server, settings):
    emulator = m365_emulator_server
    emulator.reset()
    for key, value in emulator.env.items():
        setattr(settings, key, value)
    settings.M365_BACKOFF_BASE = 0.01
    settings.M365_CONSENT_RETRY_SECONDS = 0.3
    settings.M365_REDIRECT_URL = "http://testserver/integrations/m365/callback/"
    reset_clients()
    yield emulator
    reset_clients()


@pytest.fixture
def m365_client(msp):
    client = ClientFactory(msp=msp, name="Contoso Ltd")
    ClientDomainFactory(msp=msp, client=client, domain="contoso.example")
    return client


CONTOSO_TID = "90c192cf-d3ac-44af-8f21-ddb66cad4a26"  # seeds 2 disabled users, a guest and a disabled device


@pytest.fixture
def emu_tenant(m365_emulator):
    """An emulated tenant with a small seeded directory (contoso.example). Its id is
    fixed, so the seeded directory (which users are disabled or guests) is the same in
    every run: a test never passes or fails by the draw."""
    tenant = m365_emulator.state.add_tenant("Contoso Ltd", ["contoso.example", "contoso.onmicrosoft.com"],
                                            tid=CONTOSO_TID)
    tenant.seed(users=30, devices=12, managed=8)
    return tenant


@pytest.fixture
def connected(msp, m365_client, emu_tenant, scoped):
    """M365Tenant connected to m365_client through the real /organization proof."""
    from integrations.m365.services import tenant_connect

    return tenant_connect(msp=msp, client=m365_client, tenant_id=emu_tenant.tid)
