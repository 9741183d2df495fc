from allauth.account.forms import LoginForm, SignupForm
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction

from opsmerge import ratelimit

from . import notify, throttle


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
                notify.lockout(email=email, limit=account_limit, what="sign-in")
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

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        """Queued, not sent in the request: a known address answers as fast as an unknown one."""
        notify.send_later(template="accounts/email/password_reset", to=[to_email], context=context)


class ThrottledMfaCodeMixin:
    """allauth's second-factor code forms (sign-in and step-up) with our limits, per
    user and per IP; the user is emailed when their limit is used up. allauth's own
    count of failures is off (ACCOUNT_RATE_LIMITS["login_failed"])."""

    def clean_code(self):
        from allauth.core import context

        request = context.request
        account_limit, ip_limit = throttle.mfa_limits()
        pairs = [(account_limit, str(self.user.pk)), (ip_limit, ratelimit.client_ip(request) if request else "unknown")]
        try:
            ratelimit.check(pairs)
        except ratelimit.Blocked as blocked:
            raise ValidationError(f"Too many codes tried. {blocked}", code="too_many_attempts") from None
        try:
            code = super().clean_code()
        except ValidationError:
            if account_limit in ratelimit.record(pairs):
                notify.lockout(email=self.user.email, limit=account_limit, what="two-step sign-in")
            raise
        ratelimit.reset([(account_limit, str(self.user.pk))])
        return code


class MfaAuthenticateForm(ThrottledMfaCodeMixin, AuthenticateForm):
    pass


class MfaReauthenticateForm(ThrottledMfaCodeMixin, ReauthenticateForm):
    pass
