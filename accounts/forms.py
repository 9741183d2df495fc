import logging

from allauth.account.forms import LoginForm, SignupForm
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction

from opsmerge import ratelimit

from . import throttle

logger = logging.getLogger(__name__)


class SignInForm(LoginForm):
    """Staff sign-in (allauth's form, `login` + `password`). Emails are case-insensitive,
    and the answer never reveals whether an account exists (AccountAdapter's message).
    Repeated failures are limited per email and per IP (accounts.throttle); a blocked
    attempt is refused before the password is checked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email"
        self.fields["password"].help_text = ""  # the page has its own "Forgot your password?" link
        self.fields["login"].widget.attrs.update(autofocus=True, placeholder="you@yourmsp.example")

    def clean(self):
        email = (self.cleaned_data.get("login") or "").strip().lower()
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


class MspSignUpForm(SignupForm):
    """MSP self-service sign-up (settings.ACCOUNT_FORMS["signup"]): the MSP's name,
    the owner's name, work email and password. allauth validates the password and
    answers an email that already has an account the same way as a new one (it
    emails that address instead), so the form reveals nothing."""

    msp_name = forms.CharField(label="MSP name", max_length=200,
                               widget=forms.TextInput(attrs={"placeholder": "Brightwave IT", "autofocus": True}))
    full_name = forms.CharField(label="Your name", max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))

    field_order = ["msp_name", "full_name", "email", "password1"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Work email"
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.order_fields(self.field_order)

    def save(self, request):
        with transaction.atomic():  # the MSP, the user and its (unverified) email address, or nothing
            return super().save(request)


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
