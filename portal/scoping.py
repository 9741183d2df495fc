"""Tenant scope for portal requests (settings.TENANT_SCOPE_RESOLVERS, listed FIRST).

On portal paths the only identity is the portal session: the staff login (a
technician of any MSP may have one in the same browser) is hidden by replacing
request.user with AnonymousUser before the staff resolver runs, so a portal page is
never scoped to, nor rendered for, a staff user's MSP. Without a valid portal session
the request runs with no scope at all, and any MSP-owned query fails closed.
"""

from django.contrib.auth.models import AnonymousUser

from . import conf

PORTAL_PATH_PREFIX = "/portal/"


def is_portal_path(path: str) -> bool:
    return path.startswith(PORTAL_PATH_PREFIX)


def portal_msp(request):
    request.portal = None
    if not is_portal_path(request.path):
        return None
    from .services import session_resolve

    request.user = AnonymousUser()
    identity = session_resolve(request.COOKIES.get(conf.cookie_name(), ""))
    request.portal = identity
    return identity.msp if identity is not None else None
