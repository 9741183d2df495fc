from functools import wraps

from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control

from . import conf
from .scoping import PORTAL_PATH_PREFIX
from .services import session_touch


def forget_cookie(response):
    response.delete_cookie(conf.cookie_name(), path=PORTAL_PATH_PREFIX, samesite="Lax")
    return response


def no_store(response):
    patch_cache_control(response, no_store=True, private=True)
    return response


def portal_login_required(view):
    """Pages of a signed-in contact. Without a valid session: to the sign-in page
    (forgetting a stale cookie). An archived client: "Portal access is paused"."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        identity = getattr(request, "portal", None)
        if identity is None:
            response = redirect("portal:signin")
            return forget_cookie(response) if conf.cookie_name() in request.COOKIES else response
        if identity.paused:
            return no_store(render(request, "portal/paused.html", {"msp": identity.msp, "client": identity.client},
                                   status=403))
        session_touch(msp=identity.msp, session=identity.session)
        return no_store(view(request, identity, *args, **kwargs))

    return wrapper
