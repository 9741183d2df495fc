import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail

from opsmerge import ratelimit

from . import throttle

logger = logging.getLogger(__name__)


class SignInForm(AuthenticationForm):
    """Staff sign-in. Emails are case-insensitive (UserManager.get_by_natural_key),
    so the message does not say otherwise, and it never reveals whether an account
    exists. Repeated failures are limited per email and per IP (accounts.throttle)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password don’t match an account. Check both and try again.",
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        if not email or self.cleaned_data.get("password") is None:
            return super().clean()
        account_limit, ip_limit = throttle.sign_in_limits()
        ip = ratelimit.client_ip(self.request) if self.request else "unknown"
        pairs = [(account_limit, email), (ip_limit, ip)]
        try:
            ratelimit.check(pairs)
        except ratelimit.Blocked as blocked:
            raise ValidationError(f"Too many sign-in attempts. {blocked}", code="too_many_attempts") from None
        try:
            cleaned = super().clean()
        except ValidationError:
            used_up = ratelimit.record(pairs)
            if account_limit in used_up:
                _notify_lockout(email, account_limit)
            raise
        ratelimit.reset([(account_limit, email)])
        return cleaned


def _notify_lockout(email, limit):
    """Tell the account's owner (if the account exists) that sign-in is paused."""
    user = get_user_model().objects.filter(email=email, is_active=True).first()
    if user is None:
        return
    minutes = limit.window_seconds // 60
    send_mail(
        "OpsMerge: sign-in paused after repeated wrong passwords",
        f"Hello {user.get_short_name()},\n\nThere were {limit.max_attempts} sign-in attempts with a wrong "
        f"password for {user.email}. New sign-ins to this account are paused for up to {minutes} minutes. "
        "Sessions where you are already signed in are not affected.\n\nIf this was not you, reset your "
        "password once the pause ends and tell your administrator.\n",
        None, [user.email], fail_silently=True,
    )
    logger.warning("auth throttle: sign-in paused for user %s", user.pk)


class ThrottledPasswordResetForm(PasswordResetForm):
    """Password reset with per-email and per-IP limits. Every request counts, whether
    or not the email has an account, so the limit reveals nothing."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        if not email:
            return cleaned
        ip = ratelimit.client_ip(self.request) if self.request else "unknown"
        account_limit, ip_limit = throttle.password_reset_limits()
        pairs = [(account_limit, email), (ip_limit, ip)]
        try:
            ratelimit.check(pairs)
        except ratelimit.Blocked as blocked:
            raise ValidationError(f"Too many reset requests. {blocked}", code="too_many_attempts") from None
        ratelimit.record(pairs)  # every request counts toward the limit
        return cleaned
