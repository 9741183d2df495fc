"""HaloPSA listing scale; see test_autotask_scale.py (runs only with PSA_SCALE=1)."""

from __future__ import annotations

import math

import pytest

from integrations.psa.connectors.halopsa import HaloConnector

from .test_autotask_scale import COMPANIES, list_everything, scale


@scale
@pytest.mark.parametrize("page_size", [None, HaloConnector.max_page_size])
def test_halopsa_lists_5000_companies_and_50000_contacts(psa_emulator, page_size):
    emu = psa_emulator["halopsa"]
    emu.product.configure(limit=100_000)
    size = page_size or HaloConnector.page_size
    list_everything(HaloConnector, emu, page_size=page_size, overhead=1,  # the token
                    extra_pages=math.ceil(COMPANIES / size))  # clients' main sites
