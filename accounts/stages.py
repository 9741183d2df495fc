"""Login stages that replace allauth's defaults (accounts.adapter.AccountAdapter.get_login_stages)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage


class SignupEmailVerificationStage(EmailVerificationStage):
    """Email verification before first use, for accounts that signed themselves up.

    Sign-up records the address unverified in allauth's EmailAddress table, so those
    users must follow the emailed link before they can sign in. Users created another
    way (an accepted invite, whose link already proved the address; the demo data; a
    platform admin's createsuperuser) have no EmailAddress row and are not asked.
    """

    def handle(self):
        user = self.login.user  # None for a sign-up with an address that already has an account
        if user is not None and not EmailAddress.objects.filter(user_id=user.pk).exists():
            return None, True
        return super().handle()
