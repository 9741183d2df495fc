"""Portal settings with their defaults; each can be overridden in settings.py."""

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def link_ttl_seconds() -> int:
    return _get("PORTAL_LINK_TTL_SECONDS", 15 * 60)


def session_idle_seconds() -> int:
    return _get("PORTAL_SESSION_IDLE_SECONDS", 30 * 60)


def session_max_age_seconds() -> int:
    return _get("PORTAL_SESSION_MAX_AGE_SECONDS", 12 * 60 * 60)


def session_touch_seconds() -> int:
    """last_seen_at is written at most this often (one UPDATE per minute, not per request)."""
    return _get("PORTAL_SESSION_TOUCH_SECONDS", 60)


def cookie_name() -> str:
    return _get("PORTAL_SESSION_COOKIE_NAME", "opsmerge_portal")


def cookie_secure() -> bool:
    return _get("PORTAL_SESSION_COOKIE_SECURE", settings.SESSION_COOKIE_SECURE)


def signin_limits() -> dict[str, tuple[int, int]]:
    """(requests, window seconds) per address and per client IP."""
    return _get("PORTAL_SIGNIN_RATE_LIMITS", {"address": (5, 15 * 60), "ip": (20, 15 * 60)})


def redeem_limit() -> tuple[int, int]:
    return _get("PORTAL_REDEEM_RATE_LIMIT", (30, 15 * 60))


def invite_limit() -> tuple[int, int]:
    """Re-sent invites per contact (technicians clicking the button repeatedly)."""
    return _get("PORTAL_INVITE_RATE_LIMIT", (5, 15 * 60))
