"""A software passkey for tests that need a stored WebAuthn credential without a
browser (the isolation world). Browser tests use Chromium's virtual authenticator."""

from __future__ import annotations

import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_encode
from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData


def registration_response(rp_id: str = "testserver") -> dict:
    """A "none"-attestation registration response (the JSON a browser posts), for a new key pair."""
    key = ec.generate_private_key(ec.SECP256R1())
    credential_id = os.urandom(16)
    credential = AttestedCredentialData.create(b"\0" * 16, credential_id, ES256.from_cryptography_key(key.public_key()))
    flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
    auth_data = AuthenticatorData.create(hashlib.sha256(rp_id.encode()).digest(), flags, 0, credential)
    client_data = json.dumps({"type": "webauthn.create", "challenge": websafe_encode(os.urandom(16)),
                              "origin": f"https://{rp_id}"}).encode()
    return {
        "id": websafe_encode(credential_id), "rawId": websafe_encode(credential_id), "type": "public-key",
        "response": {"clientDataJSON": websafe_encode(client_data),
                     "attestationObject": websafe_encode(bytes(AttestationObject.create("none", auth_data, {})))},
        "clientExtensionResults": {}, "authenticatorAttachment": "platform",
    }
