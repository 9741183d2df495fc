"""Secrets we must send on (a CIPP API client secret …), encrypted at rest.

`EncryptedCharField` stores a Fernet token (AES-128-CBC + HMAC-SHA256, from the
`cryptography` package msal already brings) and hands Python the plain text. Keys come
from settings.FIELD_ENCRYPTION_KEYS (Fernet keys, newest first: the first encrypts,
all decrypt, so a key can be rotated by adding a new one in front and re-saving); when
unset, one key is derived from SECRET_KEY, so rotating SECRET_KEY then needs the old
one's derived key kept in FIELD_ENCRYPTION_KEYS. A value that no key opens is an
error, never silently returned as cipher text.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from a Django SECRET_KEY."""
    digest = hashlib.sha256(b"opsmerge-field-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [derived_key(settings.SECRET_KEY)])
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted field cannot be read with FIELD_ENCRYPTION_KEYS (or the key derived from SECRET_KEY): "
            "add the key it was written with.") from None


class EncryptedCharField(models.TextField):
    """Plain text in Python, a Fernet token in the database. Not searchable or
    orderable by value (each encryption differs)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
