"""Fixtures: one PSA emulator server per test session (every product registered),
fresh product state per test, settings pointed at its CA with fast retries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from integrations.psa.emulator import PsaEmulator
from integrations.psa.http import reset_sessions


@dataclass
class EmulatedPsa:
    """What a test needs to connect one product: its base URL and valid credentials."""

    kind: str
    base_url: str
    credentials: dict
    product: object  # the emulator's Product (state, faults, inspect)


@pytest.fixture(scope="session")
def psa_emulator_server():
    with PsaEmulator() as emulator:
        yield emulator


@pytest.fixture
def psa_emulator(psa_emulator_server, settings):
    """{kind: EmulatedPsa} for every product the emulator serves, each reset."""
    emulator = psa_emulator_server
    emulator.reset()
    settings.PSA_CA_BUNDLE = str(emulator.ca_path)
    settings.PSA_BACKOFF_BASE = 0.01
    settings.PSA_MAX_INLINE_WAIT = 2.0
    settings.PSA_MAX_TRIES = 4
    reset_sessions()
    yield {kind: EmulatedPsa(kind, emulator.base_url(kind), product.credentials(), product)
           for kind, product in emulator.products.items()}
    reset_sessions()
