from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """Staff sign-in. Emails are case-insensitive (UserManager.get_by_natural_key),
    so the message does not say otherwise, and it never reveals whether an account
    exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password don’t match an account. Check both and try again.",
    }
