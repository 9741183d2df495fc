"""Step-up: re-enter the second factor before a dangerous action (issue 13, item 3).

Used before API key creation, MFA changes and a client's permanent delete. A user
with MFA re-enters it (authenticator code, recovery code or passkey) through
allauth's MFA re-authentication; a user without MFA (their MSP does not require it)
re-enters the password instead. A step-up counts for ACCOUNT_REAUTHENTICATION_TIMEOUT
seconds. A POST that needed it is kept and carried out right after the step-up
(allauth's suspended request), so nothing typed is lost.
"""

from __future__ import annotations

import time
from functools import wraps

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from django.urls import reverse

from .mfa import has_mfa


def recent_step_up(request) -> bool:
    """Did this session re-enter the right factor within the step-up window?"""
    wanted = {"mfa"} if has_mfa(request.user) else {"password", "mfa"}
    now = time.time()
    return any(
        record.get("reauthenticated") and record.get("method") in wanted
        and now - record.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, request.user)
    )


def step_up_url(user) -> str:
    return reverse("mfa_reauthenticate" if has_mfa(user) else "account_reauthenticate")


def step_up_required(request):
    """None when the step-up is fresh, else the redirect that asks for it (call it
    after the view has looked up its object, so foreign ids still answer 404)."""
    if request.user.is_authenticated and recent_step_up(request):
        return None
    return suspend_request(request, step_up_url(request.user))


def require_recent_mfa(view_func=None, *, methods=("POST",)):
    """Decorator: the view's `methods` (POST by default) need a fresh step-up."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and (response := step_up_required(request)) is not None:
                return response
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view_func) if view_func else decorator
