"""Settings → API keys: create (token shown once), list, revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Op
from accounts.stepup import require_recent_mfa
from opsmerge.forms import apply_service_errors
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import msp_view

from .forms import ApiKeyForm
from .models import ApiKey
from .services import api_key_create, api_key_revoke


def _list(request, form, status=200):
    keys = ApiKey.objects.filter(msp=request.msp).select_related("created_by", "revoked_by")
    return render(request, "api/api_key_list.html", {"keys": keys, "form": form}, status=status)


@never_cache
@msp_view(Op.API_KEYS)
@require_http_methods(["GET", "POST"])
@require_recent_mfa  # creating a key: re-enter the second factor (issue 13)
def api_key_list(request):
    if request.method == "GET":
        return _list(request, ApiKeyForm(user=request.user))
    form = ApiKeyForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            issued = api_key_create(msp=request.msp, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the token exists only in this response.
            return render(request, "api/api_key_created.html", {"key": issued.key, "token": issued.token})
    return _list(request, form, status=400)


@msp_view(Op.API_KEYS)
@require_POST
def api_key_revoke_view(request, pk):
    key = msp_get_or_404(ApiKey.objects.all(), msp=request.msp, pk=pk)
    api_key_revoke(msp=request.msp, key=key, actor=request.user)
    messages.success(request, f"{key} is revoked: requests using it are refused from now on.")
    return redirect("api_keys:list")
