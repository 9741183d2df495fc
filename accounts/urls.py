from allauth.mfa.webauthn import views as webauthn_views
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from . import account_views
from .views import PasswordReauthenticateView, PasswordResetView, SignInView, own_webauthn_key

app_name = "accounts"

urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    # Not offered: a staff user's email is managed by their MSP (Team), and Microsoft
    # accounts are linked only by signing in with them (accounts.adapter).
    path("email/", RedirectView.as_view(pattern_name="mfa_index"), name="allauth_email_redirect"),
    path("3rdparty/", RedirectView.as_view(pattern_name="mfa_index"), name="allauth_connections_redirect"),
    path("reauthenticate/", PasswordReauthenticateView.as_view(), name="reauthenticate"),
    path("2fa/webauthn/keys/<int:pk>/remove/", login_required(own_webauthn_key(webauthn_views.remove_webauthn)),
         name="mfa_remove_webauthn"),
    path("2fa/webauthn/keys/<int:pk>/edit/", login_required(own_webauthn_key(webauthn_views.edit_webauthn)),
         name="mfa_edit_webauthn"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        html_email_template_name="accounts/email/password_reset.html",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done")), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete")), name="password_reset_confirm"),
    # allauth's own password-reset pages lead to ours (one reset flow, with our limits)
    path("password/reset/", RedirectView.as_view(pattern_name="accounts:password_reset"), name="allauth_reset_redirect"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"), name="password_reset_complete"),
]

# One's own account and the public invite page (issue 13, items 2 and 7): accounts.account_views.
urlpatterns += [
    path("invite/<str:token>/", account_views.invite_accept_page, name="invite_accept"),
    path("password/change/", account_views.password_change, name="password_change"),
    path("sessions/", account_views.my_sessions, name="sessions"),
]
