"""Secrets we must send on are encrypted at rest (opsmerge.crypto)."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from opsmerge.crypto import decrypt, derived_key, encrypt
from opsmerge.tenancy import unscoped

pytestmark = pytest.mark.django_db


def test_the_database_holds_a_token_and_python_the_plain_text(msp):
    from integrations.m365.models import CippConnection

    with unscoped("test"):
        conn = CippConnection.objects.create(
            msp=msp, base_url="https://cipp.example", tenant_id="6d1c3e5a-2b7f-4c1e-9a0d-3f5b8c2e7a41",
            client_id="0d6f4a2e-7c1b-4e5a-9f3d-2b8c1a7e6d50", client_secret="s3cr3t-value")
        with connection.cursor() as cursor:
            cursor.execute("SELECT client_secret FROM m365_cippconnection WHERE msp_id = %s AND id = %s",
                           [msp.pk, conn.pk])
            stored = cursor.fetchone()[0]
        assert "s3cr3t" not in stored and stored.startswith("gAAAA")
        assert CippConnection.objects.get(msp=msp, pk=conn.pk).client_secret == "s3cr3t-value"


def test_keys_rotate_newest_first_and_an_unknown_key_is_an_error(settings):
    old = derived_key(settings.SECRET_KEY)
    token = encrypt("value")  # with the key derived from SECRET_KEY
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert decrypt(token) == "value"
    assert Fernet(new.encode()).decrypt(encrypt("fresh").encode()) == b"fresh"  # the first key encrypts
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        decrypt(token)
