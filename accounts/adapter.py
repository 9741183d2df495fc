"""django-allauth adapters: how allauth's generic account flows fit OpsMerge
(docs/decisions/0710-staff-accounts-allauth.md)."""

from __future__ import annotations

import functools
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from .receivers import SIGNED_IN_AT_SESSION_KEY


def _signed_in_within(request, seconds: int) -> bool:
    return time.time() - request.session.get(SIGNED_IN_AT_SESSION_KEY, 0) < seconds


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


def microsoft_sign_in_app():
    """The Entra app staff sign in with (settings at runtime, so tests and `make run`
    can point it at the emulator), or None when not configured."""
    from allauth.socialaccount.models import SocialApp

    client_id = settings.MICROSOFT_SIGNIN_CLIENT_ID or settings.M365_CLIENT_ID
    if not settings.MICROSOFT_SIGNIN_ENABLED or not client_id:
        return None
    return SocialApp(provider="entra", provider_id="entra", name="Microsoft", client_id=client_id,
                     secret=settings.MICROSOFT_SIGNIN_CLIENT_SECRET or settings.M365_CLIENT_SECRET,
                     settings={"token_auth_method": "client_secret_post"})


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign in with Microsoft never creates an account: the Microsoft identity must
    carry a verified email that belongs to an active staff user of an MSP, or to an
    open invite (which it then accepts)."""

    def list_apps(self, request, provider=None, client_id=None):
        apps = [a for a in super().list_apps(request, provider=provider, client_id=client_id) if a.provider != "entra"]
        app = microsoft_sign_in_app()
        if app is not None and provider in (None, "entra") and client_id in (None, app.client_id):
            apps.append(app)
        return apps

    def get_requests_session(self):
        session = super().get_requests_session()
        if settings.M365_CA_BUNDLE:  # a private CA (the emulator, a TLS-inspecting proxy)
            # per request: requests lets REQUESTS_CA_BUNDLE from the environment win over session.verify
            session.request = functools.partial(session.request, verify=settings.M365_CA_BUNDLE)
        return session

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        from .models import User

        if sociallogin.state.get("process") == "connect":
            # Linking happens only by signing in with a matching verified email; a
            # signed-in session (perhaps a stolen one) cannot attach another identity.
            _refuse(request, "A Microsoft account is linked by signing in with it.")
        if sociallogin.is_existing:
            user = sociallogin.user
            if user.msp_id is None:
                _refuse(request, "Platform admins sign in with their password.")
            return
        emails = [a.email for a in sociallogin.email_addresses if a.verified]
        if not emails:
            _refuse(request, "Your Microsoft account did not give OpsMerge a verified email address, so it "
                             "cannot be matched to a staff account. Sign in with your email and password.")
        email = emails[0].lower()
        user = User.objects.filter(email=email, is_active=True, msp__isnull=False).first()
        if user is None:
            user = _accept_open_invite(email, sociallogin)
        if user is None:
            _refuse(request, f"No OpsMerge staff account uses {email}. Ask your MSP’s administrator for an "
                             "invite, then sign in with Microsoft again.")
        sociallogin.connect(request, user)


def _accept_open_invite(email, sociallogin):
    """An open invite for this (verified) email: accept it with the names Microsoft gave."""
    from .invites import invite_accept, invite_open_for_email  # helper "team"'s Team invites

    invite = invite_open_for_email(email)
    if invite is None:
        return None
    claims = sociallogin.account.extra_data.get("id_token", {})
    return invite_accept(invite=invite, first_name=claims.get("given_name") or "",
                         last_name=claims.get("family_name") or "", password=None)


def _refuse(request, message):
    from allauth.core.exceptions import ImmediateHttpResponse
    from django.contrib import messages
    from django.shortcuts import redirect

    messages.error(request, message)
    raise ImmediateHttpResponse(redirect("accounts:login"))
