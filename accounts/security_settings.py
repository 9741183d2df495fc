"""Settings → Sign-in security (Admins; Op.SETTINGS): the MSP-wide "require MFA for
everyone" switch and who has set up a second factor. Changing it needs a step-up."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from opsmerge.views.generic import msp_view

from .models import User
from .permissions import Op
from .services import msp_set_require_mfa
from .stepup import require_recent_mfa


def staff_with_mfa(*, msp):
    factor = Authenticator.objects.filter(user=OuterRef("pk"),
                                          type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
    return User.objects.filter(msp=msp, is_active=True).annotate(has_mfa=Exists(factor)).order_by("full_name")


@msp_view(Op.SETTINGS)
@require_http_methods(["GET", "POST"])
@require_recent_mfa
def security_settings(request):
    if request.method == "POST":
        require = request.POST.get("require_mfa") == "on"
        if msp_set_require_mfa(msp=request.msp, require=require, actor=request.user):
            messages.success(request, "Everyone must now use two-step sign-in." if require else
                             "Two-step sign-in is now optional for your staff.")
        return redirect("settings:security")
    staff = list(staff_with_mfa(msp=request.msp))
    return render(request, "settings/security.html", {
        "staff": staff, "enrolled": sum(u.has_mfa for u in staff), "require_mfa": request.msp.require_mfa})


def register():
    from django.urls import path

    from opsmerge.registry import SettingsPage, settings_pages

    settings_pages.register(SettingsPage(
        "security", "Sign-in security", "settings:security",
        description="Require two-step sign-in (authenticator app or passkey) for everyone.",
        urls=lambda: [path("security/", security_settings, name="security")]))
