"""The ConnectWise PSA connector against its emulator: auth header shape, clientId,
page/pageSize with Link paging, the lastUpdated condition, JSON Patch updates,
ConnectWise's error JSON mapped to neutral field errors, 429 handling."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from integrations.psa.connectors import PsaError, connector_class
from integrations.psa.emulator.common import utcnow


@pytest.fixture
def cw(psa_emulator):
    emulated = psa_emulator["connectwise"]
    emulated.product.seed(companies=60, contacts_per_company=2, seed=5)
    return emulated


def _connector(cw, **creds):
    return connector_class("connectwise")(base_url=cw.base_url, credentials={**cw.credentials, **creds})


def test_basic_auth_is_company_plus_public_key_and_client_id_is_required(cw):
    conn = _connector(cw)
    headers = conn.auth_headers()
    assert base64.b64decode(headers["Authorization"].split()[1]).decode() == (
        "opsmerge_demo+cwPublicKey0001:cwPrivateKey0001")
    assert headers["clientId"] == cw.credentials["client_id"]
    conn.check()
    with pytest.raises(PsaError) as info:
        _connector(cw, client_id="").check()
    assert info.value.kind == "auth" and "clientId" in info.value.message
    with pytest.raises(PsaError) as info:
        _connector(cw, public_key="other").check()
    assert (info.value.kind, info.value.message) == ("auth", "Incorrect public/private key")


def test_paging_follows_link_next_at_the_default_page_size(cw):
    conn = _connector(cw)
    companies = list(conn.list_companies())
    assert len(companies) == 60 and len({c.external_id for c in companies}) == 60
    assert conn.requests == 3  # ceil(60 / 25)
    big = connector_class("connectwise")(base_url=cw.base_url, credentials=cw.credentials, page_size=5000)
    assert big.page_size == 1000
    assert len(list(big.list_companies())) == 60 and big.requests == 1


def test_since_uses_last_updated_condition(cw):
    conn = _connector(cw)
    ext = cw.product.ids("companies")[7]
    cw.product.advance_clock(3600)
    cw.product.edit_company(ext, city="Austin")
    changed = list(conn.list_companies(since=utcnow() + timedelta(seconds=3000)))
    assert [c.external_id for c in changed] == [ext]
    assert changed[0].city == "Austin"


def test_validation_errors_become_neutral_field_errors(cw):
    conn = _connector(cw)
    with pytest.raises(PsaError) as info:
        conn.create_company({"name": "x" * 51, "marker": "m1"})
    exc = info.value
    assert exc.kind == "validation" and exc.code == "InvalidObject"
    assert "maximum length of 50" in exc.field_errors["name"][0]
    with pytest.raises(PsaError) as info:
        conn.create_contact(cw.product.ids("companies")[0], {"first_name": "A", "email": "not-an-email"})
    assert "email" in info.value.field_errors
    with pytest.raises(PsaError) as info:
        conn.get_company("999999")
    assert info.value.kind == "not_found"


def test_update_sends_json_patch_and_returns_the_new_record(cw):
    conn = _connector(cw)
    ext = cw.product.ids("companies")[0]
    updated = conn.update_company(ext, {"phone": "555-0100", "city": "Denver"})
    assert (updated.phone, updated.city) == ("555-0100", "Denver")
    conn.set_company_active(ext, False)
    assert conn.get_company(ext).active is False


def test_429_is_retried_with_retry_after_then_reported(cw, settings):
    conn = _connector(cw)
    cw.product.fault(429, times=2, retry_after=0)
    conn.check()
    assert conn.requests == 3
    cw.product.set_budget(0, retry_after=30)  # longer than PSA_MAX_INLINE_WAIT: the task retries later
    with pytest.raises(PsaError) as info:
        conn.check()
    assert info.value.kind == "rate_limited" and info.value.retry_after == 30


def test_client_side_rate_limit_paces_requests(cw, settings):
    import time

    settings.PSA_MAX_REQUESTS_PER_SECOND = 20
    conn = _connector(cw)
    started = time.monotonic()
    for _ in range(6):
        conn.check()
    assert time.monotonic() - started >= 5 / 20 * 0.9
