"""Per-key (and per-user for browser sessions) rate limits on the Redis cache.

A fixed one-minute window counted with an atomic INCR: one round trip per request,
exact under concurrency (DRF's SimpleRateThrottle read-modify-writes a list and
loses counts when requests race)."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


class PerPrincipalRateThrottle(BaseThrottle):
    def _ident_and_limit(self, request) -> tuple[str, int] | None:
        key = getattr(request.user, "api_key", None)
        if key is not None:
            return f"key:{key.msp_id}:{key.pk}", key.rate_limit_per_minute or settings.API_KEY_RATE_LIMIT_PER_MINUTE
        if getattr(request.user, "is_authenticated", False):
            return f"user:{request.user.pk}", settings.API_SESSION_RATE_LIMIT_PER_MINUTE
        return None  # unauthenticated requests are refused before they cost anything

    def allow_request(self, request, view):
        found = self._ident_and_limit(request)
        if found is None:
            return True
        ident, limit = found
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self.wait_seconds = WINDOW_SECONDS * (window + 1) - now
        counter = f"api-throttle:{ident}:{window}"
        cache.add(counter, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add and incr: start the window again
            cache.set(counter, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
        return count <= limit

    def wait(self):
        return self.wait_seconds
