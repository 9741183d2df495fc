import re
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

from .request_context import request_id_var
from .tenancy import msp_scope, unscoped

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it is sane, else makes one; audit events
    and logs carry it, and the response echoes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class TenantScopeMiddleware:
    """Opens the MSP scope for the whole request (view and template rendering).

    Resolvers listed in settings.TENANT_SCOPE_RESOLVERS are asked in order; each takes
    the request and returns an Msp or None. The Django admin runs unscoped (platform
    admins only, logged). Requests without an MSP run with no scope, so any query on
    an MSP-owned model raises instead of leaking.

    Streaming responses are consumed after this returns: their generators must open
    `msp_scope` themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.resolvers = [import_string(p) for p in settings.TENANT_SCOPE_RESOLVERS]
        self.admin_prefix = "/" + settings.ADMIN_URL.strip("/") + "/"

    def __call__(self, request):
        request.msp = None
        if request.path.startswith(self.admin_prefix):
            with unscoped("django admin"):
                return self.get_response(request)
        for resolve in self.resolvers:
            msp = resolve(request)
            if msp is not None:
                request.msp = msp
                with msp_scope(msp):
                    return self.get_response(request)
        return self.get_response(request)
