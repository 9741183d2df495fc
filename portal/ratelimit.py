"""Fixed-window rate limits in the Django cache (Redis): atomic, shared by every
web process. Keys hold hashes, never raw addresses."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def _key(scope: str, subject: str, window: int, bucket: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{window}:{bucket}:{digest}"


def hit(scope: str, subject: str, *, limit: int, window: int) -> Verdict:
    """Count one event of `subject` in `scope`; allowed while the count is within
    `limit` for the current `window`."""
    now = time.time()
    bucket = int(now // window)
    key = _key(scope, subject, window, bucket)
    count = 1 if cache.add(key, 1, timeout=window + 5) else cache.incr(key)
    return Verdict(allowed=count <= limit, retry_after=int((bucket + 1) * window - now) + 1)


def client_ip(request) -> str:
    """The peer address. Deployments behind a proxy must make the proxy set
    REMOTE_ADDR (X-Forwarded-For is client-controlled and never trusted here)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
