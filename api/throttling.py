"""Per-key (and per-user for browser sessions) rate limits: DRF's throttle hook over
the core limiter (opsmerge.ratelimit), a fixed one-minute window counted with an
atomic INCR in Redis. One round trip per request, exact under concurrency (DRF's
SimpleRateThrottle read-modify-writes a list and loses counts when requests race)."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from opsmerge import ratelimit

WINDOW_SECONDS = 60


class PerPrincipalRateThrottle(BaseThrottle):
    wait_seconds = None

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
        ident, per_minute = found
        try:
            ratelimit.hit(ratelimit.Limit("api", per_minute, WINDOW_SECONDS), ident)
        except ratelimit.Blocked as blocked:
            self.wait_seconds = blocked.retry_after_seconds
            return False
        return True

    def wait(self):
        return self.wait_seconds
