"""django-allauth adapters: how allauth's generic account flows fit OpsMerge
(docs/decisions/0710-staff-accounts-allauth.md)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Same answer for an unknown email and a wrong password (no enumeration).
        "email_password_mismatch": "That email and password don’t match an account. Check both and try again.",
    }

    def is_open_for_signup(self, request):
        """MSP self-service sign-up; private deployments switch it off (OPSMERGE_SIGNUP_ENABLED)."""
        return settings.OPSMERGE_SIGNUP_ENABLED

    def get_login_stages(self):
        return [
            "accounts.stages.SignupEmailVerificationStage" if path == "allauth.account.stages.EmailVerificationStage"
            else path
            for path in super().get_login_stages()
        ]
