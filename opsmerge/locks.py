"""One job at a time per key, across workers: a Redis key set with NX and a short
TTL that the holder refreshes as it makes progress. If a worker is killed, the key
expires within the TTL; on the same host a dead holder (its pid is gone) is detected
at once. Used by the Microsoft 365 sync (per tenant) and the PSA sync (per connection)."""

from __future__ import annotations

import os
import socket

import redis
from django.conf import settings

_REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    return _client


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_dead(value: str) -> bool:
    """True when the holder ran on this host and its process no longer exists."""
    host, _, rest = value.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_key(*parts) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "opsmerge")
    return ":".join([prefix, *(str(p) for p in parts)])


class RedisLock:
    def __init__(self, key: str, *, holder: str, ttl: int):
        self.key, self.holder, self.ttl = key, holder, ttl
        self.held = False

    def acquire(self) -> bool:
        r = redis_client()
        if r.set(self.key, self.holder, nx=True, ex=self.ttl):
            self.held = True
            return True
        current = r.get(self.key)
        if current and _holder_dead(current) and r.eval(_RELEASE, 1, self.key, current):
            self.held = bool(r.set(self.key, self.holder, nx=True, ex=self.ttl))
        return self.held

    def refresh(self) -> None:
        if self.held:
            redis_client().eval(_REFRESH, 1, self.key, self.holder, self.ttl)

    def release(self) -> None:
        if self.held:
            redis_client().eval(_RELEASE, 1, self.key, self.holder)
            self.held = False

    def holder_now(self) -> str:
        return redis_client().get(self.key) or ""
