"""Multi-factor authentication policy over django-allauth's MFA (issue 13, item 3).

allauth stores the factors (TOTP, WebAuthn passkeys / security keys, recovery codes)
in its global `mfa_authenticator` table, keyed by user; this module adds the MSP-wide
rule "require MFA for everyone" and the one place that answers "is this user enrolled".
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

ENROLLED_SESSION_KEY = "opsmerge_mfa_enrolled"
# Account pages (MFA set-up, sign-out), static files, the client portal (contacts, not
# staff) and the health check stay reachable before enrolment.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/portal/", "/healthz")


def has_mfa(user) -> bool:
    """An authenticator app or a passkey / security key (recovery codes alone are not a factor)."""
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]).exists()


def must_enrol(request) -> bool:
    user = request.user
    if not user.is_authenticated or user.msp_id is None or not user.msp.require_mfa:
        return False
    if request.session.get(ENROLLED_SESSION_KEY) == user.pk:
        return False
    if has_mfa(user):
        request.session[ENROLLED_SESSION_KEY] = user.pk  # one query per session, not per request
        return False
    return True


class RequireMfaMiddleware:
    """With the MSP's "require MFA for everyone" on, a signed-in user with no second
    factor reaches only the account pages (/accounts/: MFA set-up, sign-out) until
    they add one. Demo MSPs have the setting off (README)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES) and must_enrol(request):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": "Set up two-step sign-in first (your MSP requires it)."}, status=403)
            messages.info(request, "Your MSP requires two-step sign-in. Set up an authenticator app or a passkey "
                                   "to continue.")
            return redirect(reverse("mfa_index"))
        return self.get_response(request)
