from allauth.account.views import LoginView, ReauthenticateView
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .forms import ThrottledPasswordResetForm


class SignInView(LoginView):
    """allauth's sign-in (stages: email verification for self-signed-up accounts, MFA)
    on our page; the form is accounts.forms.SignInForm (settings.ACCOUNT_FORMS)."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.OPSMERGE_SIGNUP_ENABLED:
            context["msp_signup_url"] = reverse("account_signup")
        context["passkey_sign_in"] = reverse("mfa_login_webauthn")
        from .adapter import microsoft_sign_in_app

        if microsoft_sign_in_app() is not None:
            context["microsoft_sign_in"] = reverse("entra_login")
        return context


class PasswordReauthenticateView(ReauthenticateView):
    """allauth's password re-authentication, closed to users with MFA: their step-up
    is the second factor (accounts.stepup), so the password alone must not count."""

    def dispatch(self, request, *args, **kwargs):
        from .mfa import has_mfa

        if request.user.is_authenticated and has_mfa(request.user):
            query = f"?{urlencode({'next': request.GET['next']})}" if request.GET.get("next") else ""
            return redirect(reverse("mfa_reauthenticate") + query)
        return super().dispatch(request, *args, **kwargs)


def own_webauthn_key(view):
    """allauth's passkey edit / remove views, but a key that is not the user's own is
    404 before anything else (allauth would ask for a step-up first)."""

    def wrapper(request, pk):
        from allauth.mfa.models import Authenticator
        from django.shortcuts import get_object_or_404

        get_object_or_404(Authenticator, pk=pk, user_id=request.user.pk, type=Authenticator.Type.WEBAUTHN)
        return view(request, pk=pk)

    return wrapper


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with brute-force limits (the form needs the request for the IP)."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
