from allauth.account.views import LoginView
from django.contrib.auth import views as auth_views

from .forms import ThrottledPasswordResetForm


class SignInView(LoginView):
    """allauth's sign-in (stages: email verification for self-signed-up accounts, MFA)
    on our page; the form is accounts.forms.SignInForm (settings.ACCOUNT_FORMS)."""

    template_name = "accounts/login.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with brute-force limits (the form needs the request for the IP)."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
