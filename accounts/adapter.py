"""django-allauth adapters: how allauth's generic account flows fit OpsMerge
(docs/decisions/0710-staff-accounts-allauth.md)."""

from __future__ import annotations

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from django.conf import settings


def _signed_in_within(request, seconds: int) -> bool:
    records = get_authentication_records(request, request.user)
    return bool(records) and time.time() - records[-1].get("at", 0) < seconds


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Same answer for an unknown email and a wrong password (no enumeration).
        "email_password_mismatch": "That email and password don’t match an account. Check both and try again.",
    }

    def is_open_for_signup(self, request):
        """MSP self-service sign-up; private deployments switch it off (OPSMERGE_SIGNUP_ENABLED)."""
        return settings.OPSMERGE_SIGNUP_ENABLED

    def save_user(self, request, user, form, commit=True):
        """Sign-up (accounts.forms.MspSignUpForm): create the MSP and its first Super Admin."""
        from .services import msp_sign_up

        data = form.cleaned_data
        return msp_sign_up(msp_name=data["msp_name"], full_name=data["full_name"], email=data["email"],
                           password=data["password1"], user=user)

    def get_reauthentication_methods(self, user):
        """Step-up re-enters the second factor: a user with MFA is not offered the password."""
        from .mfa import has_mfa

        methods = super().get_reauthentication_methods(user)
        if user.is_authenticated and has_mfa(user):
            methods = [m for m in methods if m["id"].startswith("mfa_")]
        return methods

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """MFA changes need a step-up, except the first factor of a user who signed in
        moments ago (right after sign-up or a forced enrolment)."""
        from allauth.core import context

        from .mfa import has_mfa
        from .stepup import recent_step_up

        request = context.request
        if app == "allauth.mfa" and request.user.is_authenticated:
            if not has_mfa(request.user) and _signed_in_within(request, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT):
                return False
            return not recent_step_up(request)
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_login_stages(self):
        return [
            "accounts.stages.SignupEmailVerificationStage" if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]
