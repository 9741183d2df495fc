"""Tunables of the Microsoft 365 integration. The connection settings (client id,
secret, hosts, CA bundle, redirect URL) live in opsmerge/settings.py; these have
sensible defaults and may be overridden there or in the environment."""

from __future__ import annotations

import os

from django.conf import settings

PUBLIC_AUTHORITY_HOSTS = {
    "https://login.microsoftonline.com",
    "https://login.microsoftonline.us",
    "https://login.chinacloudapi.cn",
}
GRAPH_SCOPE_SUFFIX = "/.default"


def _setting(name: str, default, cast=float):
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    return default if raw in (None, "") else cast(raw)


def max_tries() -> int:
    """Attempts per Graph/token request before the run reports "Microsoft busy"."""
    return int(_setting("M365_MAX_TRIES", 5, int))


def max_inline_wait() -> float:
    """Retry-After up to this many seconds is slept in-task; longer → task retry."""
    return _setting("M365_MAX_INLINE_WAIT", 60.0)


def backoff_base() -> float:
    """Exponential backoff base when Microsoft sends no Retry-After."""
    return _setting("M365_BACKOFF_BASE", 1.0)


def consent_retry_seconds() -> float:
    """How long the consent callback retries the first token (replication delay)."""
    return _setting("M365_CONSENT_RETRY_SECONDS", 10.0)


def lock_ttl() -> int:
    """Seconds the per-tenant sync lock lives without being refreshed (each page refreshes)."""
    return int(_setting("M365_LOCK_TTL", 120, int))


def intune_full_every_hours() -> float:
    """managedDevices has no delta: between complete listings a sync asks only for
    devices that checked in since the last listing; a complete listing (which notices
    devices removed from Intune) runs on full syncs and once this many hours passed."""
    return _setting("M365_INTUNE_FULL_EVERY_HOURS", 24.0)


def intune_overlap_minutes() -> float:
    """How far before the last listing's start the changed-devices filter reaches back
    (clock skew between OpsMerge and Microsoft, check-ins reported late)."""
    return _setting("M365_INTUNE_OVERLAP_MINUTES", 15.0)


def health_every_minutes() -> int:
    """How often each MSP's tenants' health is read on its own (besides after each sync)."""
    return int(_setting("M365_HEALTH_EVERY_MINUTES", 360, int))


def http_timeout() -> float:
    return _setting("M365_HTTP_TIMEOUT", 60.0)


def instance_discovery() -> bool | None:
    """msal's instance discovery calls login.microsoftonline.com; skip it for any other
    host (emulator, private deployments) or when M365_INSTANCE_DISCOVERY=false."""
    explicit = _setting("M365_INSTANCE_DISCOVERY", None, lambda v: v.lower() in ("1", "true", "yes", "on"))
    if explicit is not None:
        return None if explicit else False  # None = msal's default (discovery on)
    return None if settings.M365_AUTHORITY_HOST in PUBLIC_AUTHORITY_HOSTS else False


def graph_scope() -> str:
    """Application permissions are only requested as `<resource>/.default`. The resource
    is Graph's identifier, not the host we talk to: a proxy in front of Graph (or a
    national cloud with its own resource id) sets M365_GRAPH_SCOPE; by default it is
    derived from M365_GRAPH_URL (right for the public and national Graph hosts)."""
    explicit = _setting("M365_GRAPH_SCOPE", "", str)
    return explicit or settings.M365_GRAPH_URL + GRAPH_SCOPE_SUFFIX


SERVICE_ACCOUNT_PREFIXES = ("svc", "service", "noreply", "no-reply", "donotreply", "scanner", "printer",
                            "sync", "backup", "healthmailbox", "admin")
