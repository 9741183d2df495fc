"""The one rate limiter: fixed-window counters in Redis, shared by every web process.

A `Limit` is a name, a number of events and a window. Each (limit, identity) pair is
one Redis key holding a counter; the first event of a window creates it with INCR and
starts the window with EXPIRE NX, so counting is exact under concurrency and costs
one pipelined round trip. The key's TTL is the time left in the window (Retry-After).
Keys hold a hash of the identity, never a raw email or IP address.

Callers name their limits: staff sign-in and password reset (accounts.throttle),
the portal's sign-in, redeem and invite limits (portal views), API keys and sessions
(api.throttling).

Fail-open: if Redis cannot be reached, the limiter logs an error and lets the event
through. A limiter that failed closed would turn a Redis outage into an outage of
sign-in and of the API; the protections behind it (password check, unguessable link
tokens, API key check) still apply, and the logged error makes the outage visible.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    max_attempts: int
    window_seconds: int

    def key(self, identity: str) -> str:
        digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "opsmerge")
        return f"{prefix}:ratelimit:{self.name}:{digest}"


class Blocked(Exception):
    def __init__(self, retry_after_seconds: int):
        self.retry_after_seconds = retry_after_seconds
        self.minutes = max(1, math.ceil(retry_after_seconds / 60))
        super().__init__(f"Try again in {self.minutes} minute{'s' if self.minutes != 1 else ''}.")


Pairs = Iterable[tuple[Limit, str]]

_client = None


def _redis():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _client


def client_ip(request) -> str:
    """The client's IP: REMOTE_ADDR, or the right-most entry of the trusted proxy's
    header (settings.TRUSTED_PROXY_IP_HEADER, e.g. "HTTP_X_FORWARDED_FOR") when set.
    The right-most entry is the one the proxy appended; earlier ones are the client's word."""
    header = getattr(settings, "TRUSTED_PROXY_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _retry_after(ttl: int, limit: Limit) -> int:
    # TTL is -1 only if an EXPIRE was lost; the next count sets it again (EXPIRE NX).
    return max(ttl, 1) if ttl >= 0 else limit.window_seconds


def check(pairs: Pairs) -> None:
    """Raise Blocked if any pair has used up its events; counts nothing."""
    pairs = list(pairs)
    keys = [limit.key(identity) for limit, identity in pairs]
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.mget(keys)
        for key in keys:
            pipe.ttl(key)
        counts, *ttls = pipe.execute()
    except redis.RedisError:
        logger.exception("rate limit: Redis unavailable, event not limited")
        return
    waits = [_retry_after(ttl, limit) for (limit, _), count, ttl in zip(pairs, counts, ttls, strict=True)
             if count is not None and int(count) >= limit.max_attempts]
    if waits:
        raise Blocked(max(waits))


def _count(pairs: list[tuple[Limit, str]]) -> list[tuple[int, int]]:
    """One INCR + EXPIRE NX + TTL per pair, in one round trip: [(count, ttl)]."""
    pipe = _redis().pipeline(transaction=False)
    for limit, identity in pairs:
        key = limit.key(identity)
        pipe.incr(key)
        pipe.expire(key, limit.window_seconds, nx=True)
        pipe.ttl(key)
    results = pipe.execute()
    return list(zip(results[::3], results[2::3], strict=True))


def record(pairs: Pairs) -> list[Limit]:
    """Count one event against each pair; return the limits this event used up."""
    pairs = list(pairs)
    try:
        counted = _count(pairs)
    except redis.RedisError:
        logger.exception("rate limit: Redis unavailable, event not counted")
        return []
    return [limit for (limit, _), (count, _) in zip(pairs, counted, strict=True) if count == limit.max_attempts]


def hit(limit: Limit, identity: str) -> None:
    """Count one event and raise Blocked if it goes over the limit (the event is refused)."""
    try:
        [(count, ttl)] = _count([(limit, identity)])
    except redis.RedisError:
        logger.exception("rate limit: Redis unavailable, event not limited")
        return
    if count > limit.max_attempts:
        raise Blocked(_retry_after(ttl, limit))


def reset(pairs: Pairs) -> None:
    try:
        _redis().delete(*[limit.key(identity) for limit, identity in pairs])
    except redis.RedisError:
        logger.exception("rate limit: Redis unavailable, counter not reset")
