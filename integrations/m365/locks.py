"""One sync per tenant at a time, across workers (opsmerge/locks.py's RedisLock)."""

from __future__ import annotations

from opsmerge.locks import RedisLock, lock_key, redis_client  # noqa: F401 (redis_client: one import path)

from . import conf


class TenantLock(RedisLock):
    def __init__(self, *, msp, tenant, holder: str):
        super().__init__(lock_key("m365", "sync-lock", msp.pk, tenant.pk), holder=holder, ttl=conf.lock_ttl())
