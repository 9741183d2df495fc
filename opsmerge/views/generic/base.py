"""The one permission guard of staff pages and the base view every generic view builds on."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from opsmerge.permissions import permissions_for, require


def guard(request: HttpRequest, op: str) -> HttpResponse | None:
    """The one permission guard of staff pages: signed-in staff of an MSP with `op`,
    else a login redirect (returned) / 403 (raised). None means "go on"."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if getattr(request, "msp", None) is None:
        raise PermissionDenied("This page is for MSP staff.")
    require(request.user, op)
    return None


def msp_view(op: str):
    """Decorator for function views: sign-in, an MSP, and `op`."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            return guard(request, op) or func(request, *args, **kwargs)

        return wrapper

    return decorate


class MspView(View):
    """Base: `permission` guards GET/HEAD, `write_permission` guards POST."""

    permission: str = "view"
    write_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        op = self.permission
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_permission is not None:
            op = self.write_permission
        return guard(request, op) or super().dispatch(request, *args, **kwargs)

    @property
    def msp(self):
        return self.request.msp

    def safe_next(self, default: str) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return default


# ---------------------------------------------------------------- lists


def _perms(request) -> frozenset[str]:
    return permissions_for(request.user)


# ---------------------------------------------------------------- detail
