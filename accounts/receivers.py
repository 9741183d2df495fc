"""Signal receivers of staff accounts (connected in AccountsConfig.ready)."""

from __future__ import annotations

import time

SIGNED_IN_AT_SESSION_KEY = "opsmerge_signed_in_at"


def on_user_logged_in(sender, request, user, **kwargs):
    """Remember when this session signed in (any way: password, passkey, Microsoft,
    email confirmation): a first second factor may be added without a step-up right
    after (accounts.adapter.AccountAdapter.is_reauthentication_required); note the
device, emailing the user when it is a new one (accounts.devices)."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_SESSION_KEY] = time.time()
        if hasattr(request, "COOKIES"):
            from .devices import on_sign_in

            on_sign_in(request, user)


def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    """Adding an authenticator app or a passkey proves that factor (a valid code, a
    signed challenge): it counts as a fresh step-up, so the recovery codes shown right
    after enrolment do not ask for it again."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    if request is not None and authenticator.type in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN):
        record_authentication(request, user, method="mfa", type=authenticator.type, reauthenticated=True)
