"""Brute-force limits for staff sign-in and password reset (issue 13, item 5).

Fixed-window counters in Redis, one per (limit, identity): per account (the email
typed, whether or not an account has it, so the answer never tells which emails
exist) and per client IP. A blocked attempt is refused before the password is even
checked, with "Too many attempts … try again in N minutes". Counting is one
pipelined INCR + EXPIRE NX round trip; reading is one MGET + TTLs.

A lockout refuses new sign-ins only: sessions already signed in are untouched, so an
attacker hammering a user's email cannot throw that user out of the app.

If Redis cannot be reached the limiter lets the attempt through and logs an error
(sign-in stays available; the password check still applies).
"""

from __future__ import annotations

import hashlib
import logging
import math
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
        return f"{prefix}:throttle:{self.name}:{digest}"


def _limit(name, attempts, window):
    conf = getattr(settings, "AUTH_THROTTLE", {}).get(name, {})
    return Limit(name, conf.get("attempts", attempts), conf.get("window", window))


def sign_in_limits():
    return (_limit("signin-account", 10, 15 * 60), _limit("signin-ip", 100, 15 * 60))


def password_reset_limits():
    return (_limit("reset-account", 5, 60 * 60), _limit("reset-ip", 30, 60 * 60))


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


class Blocked(Exception):
    def __init__(self, retry_after_seconds: int):
        self.retry_after_seconds = retry_after_seconds
        self.minutes = max(1, math.ceil(retry_after_seconds / 60))
        super().__init__(f"Try again in {self.minutes} minute{'s' if self.minutes != 1 else ''}.")


def check(pairs) -> None:
    """Raise Blocked if any (limit, identity) pair has used up its attempts."""
    pairs = list(pairs)
    keys = [limit.key(identity) for limit, identity in pairs]
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.mget(keys)
        for key in keys:
            pipe.ttl(key)
        counts, *ttls = pipe.execute()
    except redis.RedisError:
        logger.exception("auth throttle: Redis unavailable, attempt not limited")
        return
    waits = [ttl for (limit, _), count, ttl in zip(pairs, counts, ttls, strict=True)
             if count is not None and int(count) >= limit.max_attempts]
    if waits:
        raise Blocked(max(max(waits), 1))


def record_failure(pairs) -> list[Limit]:
    """Count one failed attempt against each pair; return the limits this attempt used up."""
    pairs = list(pairs)
    try:
        pipe = _redis().pipeline(transaction=False)
        for limit, identity in pairs:
            key = limit.key(identity)
            pipe.incr(key)
            pipe.expire(key, limit.window_seconds, nx=True)
        results = pipe.execute()
    except redis.RedisError:
        logger.exception("auth throttle: Redis unavailable, failure not counted")
        return []
    return [limit for (limit, _), count in zip(pairs, results[::2], strict=True) if count == limit.max_attempts]


def reset(pairs) -> None:
    try:
        _redis().delete(*[limit.key(identity) for limit, identity in pairs])
    except redis.RedisError:
        logger.exception("auth throttle: Redis unavailable, counter not reset")
