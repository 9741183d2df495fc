"""New-device sign-in notices (issue 13, item 5).

Each browser that signs in gets a random token in a long-lived, HttpOnly cookie; the
database keeps its SHA-256 per user (SignInDevice). A sign-in whose cookie is missing
or unknown for that user records a new device and emails the user — except the very
first sign-in of an account, which has nothing to compare with.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.utils import timezone

from opsmerge import ratelimit
from opsmerge.tenancy import msp_scope

COOKIE_NAME = "opsmerge_device"
COOKIE_AGE = 400 * 24 * 60 * 60  # browsers cap cookie lifetimes at 400 days
_PENDING = "_opsmerge_new_device_token"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _method(request, user) -> str:
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, user)
    names = {"password": "password", "mfa": "two-step code or passkey", "socialaccount": "Microsoft"}
    used = [names.get(r.get("method"), r.get("method")) for r in records if not r.get("reauthenticated")]
    return " + ".join(dict.fromkeys(used)) or "sign-in"


def on_sign_in(request, user) -> None:
    """Called from the user_logged_in receiver. A login made outside an HTTP request
    (no client address: the test client's force_login, a shell) is no device."""
    if not request.META.get("REMOTE_ADDR") or user.msp_id is None:
        return
    with msp_scope(user.msp):
        _check(request, user)


def _check(request, user) -> None:
    from . import notify
    from .models import SignInDevice

    token = request.COOKIES.get(COOKIE_NAME, "")
    now = timezone.now()
    mine = SignInDevice.objects.filter(msp_id=user.msp_id, user=user)
    if token and mine.filter(token_hash=_hash(token)).update(last_seen_at=now):
        return
    first_ever = not mine.exists()
    token = secrets.token_urlsafe(32)
    ip = ratelimit.client_ip(request)
    user_agent = request.headers.get("User-Agent", "")[:300]
    SignInDevice.objects.create(msp_id=user.msp_id, user=user, token_hash=_hash(token), user_agent=user_agent,
                                ip=ip if _is_ip(ip) else None, created_at=now, last_seen_at=now)
    setattr(request, _PENDING, token)
    if not first_ever:
        notify.send_later(template="accounts/email/new_device", to=[user.email], context={
            "user": user, "when": now, "user_agent": user_agent, "ip": ip, "method": _method(request, user)})


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class DeviceCookieMiddleware:
    """Sets the device cookie a sign-in in this request chose."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, _PENDING, None)
        if token:
            response.set_cookie(COOKIE_NAME, token, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
