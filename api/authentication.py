"""API key authentication, and opening the MSP scope for it.

The tenant middleware runs before DRF authenticates, so a key cannot wait for DRF to
say which MSP it belongs to. `api_key_msp` is a tenant scope resolver
(settings.TENANT_SCOPE_RESOLVERS, listed first): for /api/ requests with a Bearer
token it authenticates the key and returns its MSP, so the middleware opens that
scope around the whole request — view, serialization and rendering. DRF's
`ApiKeyAuthentication` then reuses the key found there and refuses any request
whose open scope is not the key's MSP (docs/decisions/0600-api-keys-and-scope.md).
"""

from __future__ import annotations

from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from opsmerge.tenancy import current_msp

from .models import ApiKey
from .services import api_key_authenticate, api_key_touch

API_PATH_PREFIX = "/api/"
_NOT_CHECKED = object()


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _key_for(request) -> ApiKey | None:
    """The request's key, authenticated at most once per request."""
    django_request = getattr(request, "_request", request)
    key = getattr(django_request, "_api_key", _NOT_CHECKED)
    if key is _NOT_CHECKED:
        token = bearer_token(django_request)
        key = api_key_authenticate(token) if token else None
        django_request._api_key = key
    return key


def api_key_msp(request):
    """Tenant scope resolver: the MSP of a valid API key on an /api/ request."""
    if not request.path.startswith(API_PATH_PREFIX) or bearer_token(request) is None:
        return None
    key = _key_for(request)
    return key.msp if key is not None else None


class ApiKeyUser:
    """The acting principal of a key-authenticated request. Quacks like a staff user
    where the permission matrix and audit need it (role, msp, is_active); it is not
    a User row, so services record it by label ("API key “Billing sync”")."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey):
        self.api_key = key
        self.msp = key.msp
        self.msp_id = key.msp_id
        self.role = key.role

    def __str__(self):
        return str(self.api_key)

    @cached_property
    def full_name(self) -> str:
        return str(self.api_key)


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        if bearer_token(request._request) is None:
            return None
        key = _key_for(request)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        msp = current_msp()
        if msp is None or msp.pk != key.msp_id:
            # The scope was opened for someone else (resolver order changed, or a
            # session of another MSP): refuse rather than act across tenants.
            raise exceptions.AuthenticationFailed("This API key cannot be used for this request.")
        api_key_touch(key=key)
        return ApiKeyUser(key), key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
