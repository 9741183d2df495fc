"""Validation of Entra ID id_tokens (multi-tenant): signature against the published
keys, audience, a per-tenant issuer, lifetime and the nonce of this sign-in.

Entra's multi-tenant discovery document publishes the issuer as a template
(https://login.microsoftonline.com/{tenantid}/v2.0): the expected issuer is that
template filled with the token's own `tid`, so a token issued by one tenant can
never pass as another tenant's.
"""

from __future__ import annotations

import re

import jwt
from allauth.socialaccount.providers.oauth2.client import OAuth2Error

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "tid", "oid", "nonce"]


def verify_id_token(id_token: str, *, client_id: str, issuer_template: str, jwks: dict, nonce: str | None) -> dict:
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OAuth2Error(f"Malformed id_token: {exc}") from exc
    tid = str(unverified.get("tid", ""))
    if not _GUID.match(tid):
        raise OAuth2Error("id_token has no tenant id")
    issuer = issuer_template.replace("{tenantid}", tid)
    try:
        key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == header.get("kid"))
    except (StopIteration, jwt.PyJWTError) as exc:
        raise OAuth2Error("id_token is signed with an unknown key") from exc
    try:
        claims = jwt.decode(id_token, key=key.key, algorithms=["RS256"], audience=client_id, issuer=issuer,
                            leeway=60, options={"require": REQUIRED})
    except jwt.PyJWTError as exc:
        raise OAuth2Error(f"Invalid id_token: {exc}") from exc
    if not nonce or claims.get("nonce") != nonce:
        raise OAuth2Error("id_token nonce does not match this sign-in")
    return claims
