"""API test fixtures: keys are minted through the real service, and requests go
through the whole middleware stack (tenant resolver, DRF auth, throttle)."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from api.services import api_key_create
from opsmerge.tenancy import msp_scope


def issue_key(user, *, role=Role.ADMIN, name=None, **kwargs) -> str:
    with msp_scope(user.msp):
        issued = api_key_create(msp=user.msp, actor=user, name=name or f"key-{role}-{user.pk}", role=role, **kwargs)
    return issued.token


@pytest.fixture
def make_api():
    """make_api(user, role=...) -> APIClient authenticated with a fresh key."""

    def make(user, **kwargs):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_key(user, **kwargs)}")
        return client

    return make


@pytest.fixture
def api(make_api, user):
    """An APIClient with an Admin key of `msp`."""
    return make_api(user)


@pytest.fixture
def super_user(make_user):
    return make_user(role=Role.SUPER_ADMIN, email="root@northwind.example")
