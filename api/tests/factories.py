import hashlib
import secrets

import factory

from accounts.roles import Role
from api.models import ApiKey
from opsmerge.testing.factories import MspOwnedFactory


class ApiKeyFactory(MspOwnedFactory):
    """A key row whose token nobody knows (lists, revoke); tests that call the API
    mint real tokens with api.services.api_key_create."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Integration {n}")
    prefix = factory.LazyFunction(lambda: secrets.token_hex(4))
    secret_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).hexdigest())
    role = Role.READ_ONLY
