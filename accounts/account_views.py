"""Pages of one's own account (sessions, password change) and the public invite page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from opsmerge import ratelimit
from opsmerge.audit import audit_record
from opsmerge.forms import apply_service_errors
from opsmerge.tenancy import msp_scope

from . import throttle
from .adapter import microsoft_sign_in_app
from .invites import acceptance_problem, invite_accept, invite_from_token
from .models import TechGroup
from .sessions import session_record, sessions_end, sessions_list
from .team import user_sign_out_everywhere
from .team_forms import AcceptInviteForm, PasswordChangeForm


@never_cache
@sensitive_post_parameters("password1", "password2")
def invite_accept_page(request, token):
    """Public: the invitee sets their name and password and is signed in."""
    try:
        ratelimit.hit(throttle.invite_accept_limit(), ratelimit.client_ip(request))
    except ratelimit.Blocked as blocked:
        return render(request, "accounts/invite_accept.html", {"problem": f"Too many attempts. {blocked}"},
                      status=429)
    invite = invite_from_token(token)
    if invite is None:
        return render(request, "accounts/invite_accept.html", {
            "problem": "This invite link does not work. Check that you opened the whole link from the email, "
                       "or ask your administrator to send it again."}, status=404)
    context = {"invite": invite, "msp": invite.msp}
    problem = acceptance_problem(invite)
    if problem:
        return render(request, "accounts/invite_accept.html", {**context, "problem": problem}, status=410)
    if request.user.is_authenticated:
        context["signed_in_as"] = request.user
        return render(request, "accounts/invite_accept.html", context)
    with msp_scope(invite.msp):
        context["groups"] = list(TechGroup.objects.filter(msp=invite.msp, invitetechgroup__invite=invite))
    context["microsoft_sign_in"] = reverse("entra_login") if microsoft_sign_in_app() else None
    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invite_accept(invite=invite, first_name=data["first_name"], last_name=data["last_name"],
                                 password=data["password1"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc.error_dict["password1"] = exc.error_dict.pop("password")
            apply_service_errors(form, exc)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome to {invite.msp.name}, {user.get_short_name()}. You are signed in.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/invite_accept.html", {**context, "form": form})


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request):
    """Change one's own password: this session stays, every other one ends."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # this session continues under a new key
        ended = sessions_end(user, keep_session_key=request.session.session_key)
        session_record(request, user)
        if user.msp_id:
            audit_record(msp=user.msp, actor=user, action="user.password_change", obj=user,
                         changes={"sessions_ended": ended})
        messages.success(request, "Your password is changed. You stay signed in here; other sessions were "
                                  "signed out.")
        return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def my_sessions(request):
    """Where one is signed in, with "sign out everywhere else"."""
    current = request.session.session_key
    if request.method == "POST":
        if request.user.msp_id:
            ended = user_sign_out_everywhere(msp=request.user.msp, actor=request.user, user=request.user,
                                             keep_session_key=current)
        else:
            ended = sessions_end(request.user, keep_session_key=current)
        messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
        return redirect("accounts:sessions")
    sessions = sorted(sessions_list(request.user), key=lambda s: s.session_key != current)  # this browser first
    return render(request, "accounts/sessions.html", {"sessions": sessions, "current_key": current})
