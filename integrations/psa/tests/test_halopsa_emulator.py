"""The HaloPSA emulator itself, over HTTP: listings without pagination, array-only
posts, forged tokens and grant types."""

from __future__ import annotations

from integrations.psa.http import session


def test_halo_lists_without_pagination_and_refuses_posts_that_are_not_arrays(psa_emulator):
    emu = psa_emulator["halopsa"]
    emu.product.seed(companies=5, contacts_per_company=1)
    s = session()
    token = s.post(f"{emu.base_url}/auth/token", data={"grant_type": "client_credentials", "scope": "all",
                                                       "client_id": emu.product.CLIENT_ID,
                                                       "client_secret": emu.product.CLIENT_SECRET}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    listing = s.get(f"{emu.base_url}/api/client", params={"count": 2, "includeinactive": "true"}, headers=headers).json()
    assert listing["record_count"] == 5 and len(listing["clients"]) == 2
    refused = s.post(f"{emu.base_url}/api/Client", json={"name": "Not in an array"}, headers=headers)
    assert refused.status_code == 400 and "array" in refused.json()
    assert s.get(f"{emu.base_url}/api/Client", headers={"Authorization": "Bearer forged"}).status_code == 401
    bad = s.post(f"{emu.base_url}/auth/token", data={"grant_type": "password"})
    assert bad.status_code == 400 and bad.json()["error"] == "unsupported_grant_type"
