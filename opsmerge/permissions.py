"""The permission guard's policy, as the core sees it.

The core knows operations by name only ("view", "client_edit", ...); which user
may perform which operation is the policy module named by
settings.OPSMERGE_PERMISSION_POLICY (accounts.permissions: roles × operations).
The policy module provides `user_can(user, op)`, `require(user, op)` and
`permissions_for(user)`. Views guard through opsmerge.views.generic
(MspView / msp_view / guard), services call the policy's `require` directly.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def policy() -> ModuleType:
    return import_string(settings.OPSMERGE_PERMISSION_POLICY)


def user_can(user, op: str) -> bool:
    return policy().user_can(user, op)


def require(user, op: str) -> None:
    """Raise PermissionDenied (HTTP 403) unless `user` may perform `op`."""
    policy().require(user, op)


def permissions_for(user) -> frozenset[str]:
    return policy().permissions_for(user)
