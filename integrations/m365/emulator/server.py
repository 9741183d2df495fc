"""HTTPS server of the Microsoft 365 emulator (identity platform + Graph subset).

Routes (see design/m365-sync.md §6):
  GET  /{tid}/v2.0/.well-known/openid-configuration     OIDC discovery (msal)
  POST /{tid}/oauth2/v2.0/token                          client credentials grant
  GET  /{tid}/v2.0/adminconsent, /{tid}/adminconsent     admin consent → 302 to redirect_uri
  GET  /v1.0/organization
  GET  /v1.0/users, /v1.0/users/delta, /v1.0/devices, /v1.0/devices/delta
  GET  /v1.0/deviceManagement/managedDevices          ($filter=lastSyncDateTime ge <time>)
  GET  /v1.0/users/{id}, /v1.0/devices/{id}
  GET  /v1.0/users/$count (ConsistencyLevel: eventual), /v1.0/subscribedSkus, /v1.0/security/secureScores,
       /v1.0/reports/authenticationMethods/userRegistrationDetails (paged)
  POST /{tid}/oauth2/v2.0/token with scope api://<id>/.default   CIPP-API's own app (state.cipp)
  GET  /api/ListTenants, /api/ListUsers?TenantFilter=, /api/ListDevices?TenantFilter=   CIPP-API subset
  GET  /{tid}/oauth2/v2.0/authorize                      interactive sign-in (OIDC code flow, account chooser)
  POST /{tid}/oauth2/v2.0/token grant_type=authorization_code   id_token (RS256, nonce) + delegated token
  GET  /{tid}/discovery/v2.0/keys                        JWKS: the id_token signing key
  GET  /oidc/userinfo                                    the signed-in user's claims (delegated token)
  GET/POST /_emulator/...                                control API (CLI use: counters, mutations)

Sign-in issuers are per tenant, as Entra's: https://{host}/{tid}/v2.0; the multi-tenant
discovery documents (organizations, common) publish the template .../{tenantid}/v2.0.
"""

from __future__ import annotations

import base64
import html
import json
import re
import ssl
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from .state import AADSTS, ZERO_GUID, EmulatorState

GRAPH_RESOURCES = {
    "users": ("users", "User.Read.All"),
    "devices": ("devices", "Device.Read.All"),
    "deviceManagement/managedDevices": ("managed", "DeviceManagementManagedDevices.Read.All"),
}
ORG_ROLES = {"Organization.Read.All", "Directory.Read.All"}
# Health reads: route name, the roles that allow it (any one).
HEALTH_ROUTES = {
    "users/$count": ("users_count", {"User.Read.All", "Directory.Read.All"}),
    "subscribedSkus": ("subscribedSkus", {"LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All"}),
    "security/secureScores": ("secureScores", {"SecurityEvents.Read.All", "SecurityEvents.ReadWrite.All"}),
    "reports/authenticationMethods/userRegistrationDetails": ("userRegistrationDetails", {"AuditLog.Read.All"}),
}
GRAPH_SCOPES = {"https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"}
# $filter on a listing: only what OpsMerge uses, DateTimeOffset comparisons of managedDevices.
FILTERABLE = {"managed": {"lastSyncDateTime"}}
_FILTER = re.compile(r"^(\w+) (ge|gt|le|lt) (\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))$")
_COMPARE = {"ge": datetime.__ge__, "gt": datetime.__gt__, "le": datetime.__le__, "lt": datetime.__lt__}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _graph_error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": message,
                              "innerError": {"request-id": "emu", "date": time.strftime("%Y-%m-%dT%H:%M:%S")}}}


def _filter(resource: str, clause: str):
    """A predicate for `$filter=<DateTimeOffset property> <ge|gt|le|lt> <ISO 8601 time>`,
    comparing times (not strings); None when the clause is not supported."""
    match = _FILTER.match(clause.strip())
    if not match or match[1] not in FILTERABLE.get(resource, ()):
        return None
    prop, compare = match[1], _COMPARE[match[2]]
    try:
        bound = datetime.fromisoformat(match[3])
    except ValueError:
        return None

    def matches(obj: dict) -> bool:
        value = obj.get(prop)
        return bool(value) and compare(datetime.fromisoformat(value), bound)

    return matches


def _select(obj: dict, select: list[str] | None, keys=None) -> dict:
    fields = select if select else list(obj)
    if keys is not None:
        fields = [f for f in fields if f in keys]
    out = {"id": obj["id"]}
    for f in fields:
        if f in obj:
            out[f] = obj[f]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TLS handshake per session connection
    server: EmulatorServer

    def log_message(self, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------
    def _send(self, status: int, body=None, headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            raw = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body or b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("request-id", "emu-request")
        self.send_header("client-request-id", self.headers.get("client-request-id", ""))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _base(self) -> str:
        return f"https://{self.headers.get('Host') or self.server.host_port}"

    def _apply_fault(self, route: str, tid: str | None = None) -> bool:
        """Apply a scripted or random fault; True when a response was sent."""
        state = self.server.state
        fault = state.next_fault(route)
        if fault is None:
            return False
        if fault.status == "stall":
            time.sleep(fault.seconds)
            return False
        if fault.status == "expire_tokens":
            state.revoke_tokens(tid)
            return False
        if fault.status == "aadsts":
            self._aadsts(int(fault.code), tid or "unknown")
            return True
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        status = int(fault.status)
        if status == 401:
            self._send(*_graph_error(401, "InvalidAuthenticationToken",
                                     "Access token has expired or is not yet valid."))
        elif status == 403:
            self._send(*_graph_error(403, "Authorization_RequestDenied",
                                     "Insufficient privileges to complete the operation."))
        elif status == 410:
            self._send(410, b"", {"Location": f"{self._base()}/v1.0/{route.replace('_', '/')}"})
        else:
            code = {429: "TooManyRequests", 503: "serviceNotAvailable", 504: "gatewayTimeout"}.get(
                status, str(fault.code or "generalException"))
            self._send(*_graph_error(status, code, "Emulated fault."), headers)
        return True

    def _aadsts(self, number: int, tid: str, client_id: str = "") -> None:
        error, status, text = AADSTS[number]
        description = f"AADSTS{number}: " + text.format(client_id=client_id, tid=tid) + \
            " Trace ID: emu Correlation ID: emu Timestamp: 2026-01-01 00:00:00Z"
        headers = {"Retry-After": "1"} if number == 90055 else {}
        self._send(status, {"error": error, "error_description": description, "error_codes": [number],
                            "trace_id": "emu-trace", "correlation_id": "emu-correlation"}, headers)

    def _count(self, route: str) -> None:
        with self.server.state.lock:
            self.server.state.counts[route] += 1
            self.server.state.counts["total"] += 1
        if self.server.state.latency:
            time.sleep(self.server.state.latency)

    # -- dispatch ------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str):
        parts = urlsplit(self.path)
        path = parts.path.strip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        segs = path.split("/")
        try:
            if segs[0] == "_emulator":
                return self._control(method, segs[1:], query)
            if segs[0] == "api" and len(segs) == 2 and method == "GET":
                return self._cipp(segs[1], query)
            if segs[0] == "v1.0" and method == "GET":
                return self._graph("/".join(segs[1:]), query)
            if len(segs) >= 2 and segs[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                return self._discovery(segs[0])
            if len(segs) == 4 and segs[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
                return self._token(segs[0])
            if len(segs) == 4 and segs[1:] == ["oauth2", "v2.0", "authorize"] and method == "GET":
                return self._authorize(segs[0], query)
            if len(segs) == 4 and segs[1:] == ["discovery", "v2.0", "keys"] and method == "GET":
                return self._send(200, self.server.state.jwks())
            if segs == ["oidc", "userinfo"]:
                return self._userinfo()
            if segs[-1] == "adminconsent" and len(segs) in (2, 3):
                return self._adminconsent(segs[0], query)
            self._send(*_graph_error(404, "Request_ResourceNotFound", f"No route {method} /{path}"))
        except BrokenPipeError:
            pass

    # -- identity platform ------------------------------------------------------------
    def _discovery(self, tid: str):
        self._count("discovery")
        if self._apply_fault("discovery", tid):
            return
        state = self.server.state
        if tid not in state.tenants and tid not in ("organizations", "common"):
            return self._aadsts(90002, tid)
        base = f"{self._base()}/{tid}"
        issuer_tid = "{tenantid}" if tid in ("organizations", "common") else tid
        self._send(200, {
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "issuer": f"{self._base()}/{issuer_tid}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "userinfo_endpoint": f"{self._base()}/oidc/userinfo",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["pairwise"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "email",
                                 "oid", "tid", "ver", "given_name", "family_name", "xms_edov"],
        })

    def _token(self, tid: str):
        self._count("token")
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self._apply_fault("token", tid):
            return
        state = self.server.state
        if form.get("grant_type") == "authorization_code":
            return self._code_token(tid, form)
        client_id = form.get("client_id", "")
        if form.get("scope", "").startswith("api://"):
            return self._cipp_token(tid, form)
        with state.lock:
            tenant = state.tenants.get(tid)
            app = state.apps.get(client_id)
        if tenant is None:
            return self._aadsts(90002, tid, client_id)
        if tenant.token_error:
            return self._aadsts(tenant.token_error, tid, client_id)
        # Like Entra: the scope names Graph's resource, whatever host the request reached.
        if form.get("grant_type") != "client_credentials" or form.get("scope", "") not in GRAPH_SCOPES:
            return self._send(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope.",
                                    "error_codes": [1002012]})
        if app is None or not tenant.consented:
            return self._aadsts(700016, tid, client_id)
        if form.get("client_secret") != app.secret:
            return self._aadsts(7000215, tid, client_id)
        if app.expired:
            return self._aadsts(7000222, tid, client_id)
        token = state.issue_token(tid)
        self._send(200, {"token_type": "Bearer", "expires_in": state.expires_in,
                         "ext_expires_in": state.expires_in, "access_token": token})

    # -- interactive sign-in (OIDC authorization code flow) ---------------------------
    def _authorize(self, tid: str, query: dict):
        """The sign-in page: checks the app and redirect URI like Entra (errors shown on
        the page, never sent to an unregistered redirect), then answers with a one-time
        code for the account chosen (state.sign_in_as, or a click on the chooser)."""
        self._count("authorize")
        state = self.server.state
        app = state.apps.get(query.get("client_id", ""))
        redirect = query.get("redirect_uri", "")
        if app is None:
            return self._page(400, "AADSTS700016: Application with identifier "
                                   f"'{query.get('client_id', '')}' was not found in the directory.")
        if not redirect or (app.redirect_uris and redirect not in app.redirect_uris):
            return self._page(400, "AADSTS50011: The redirect URI specified in the request does not match the "
                                   "redirect URIs configured for the application.")
        back = {"state": query.get("state", "")}
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            back.update(error="unsupported_response_type" if query.get("response_type") != "code" else "invalid_scope",
                        error_description="AADSTS900144: this emulator serves the authorization code flow with "
                                          "the openid scope.")
            return self._send(302, b"", {"Location": f"{redirect}?{urlencode(back)}"})
        choice = query.get("account") or state.sign_in_as
        if choice is None:
            return self._send(200, self._chooser_page(query), content_type="text/html; charset=utf-8")
        found = None if choice == "cancel" else state.find_sign_in(choice)
        if found is None or (tid not in ("organizations", "common") and found[0].tid != tid):
            back.update(error="access_denied", error_description="AADSTS50126: the user canceled or could not "
                                                                 "sign in.")
            return self._send(302, b"", {"Location": f"{redirect}?{urlencode(back)}"})
        tenant, user = found
        code = uuid.uuid4().hex + uuid.uuid4().hex
        with state.lock:
            state.auth_codes[code] = {"client_id": app.client_id, "redirect_uri": redirect, "tid": tenant.tid,
                                      "oid": user["id"], "nonce": query.get("nonce"), "scope": query["scope"],
                                      "expires": time.monotonic() + 600}
        back["code"] = code
        self._send(302, b"", {"Location": f"{redirect}?{urlencode(back)}"})

    def _chooser_page(self, query: dict) -> str:
        rows = [f'<li><a href="{html.escape("?" + urlencode({**query, "account": user["mail"]}))}">'
                f'{html.escape(user.get("displayName", ""))} &lt;{html.escape(user["mail"])}&gt;</a> '
                f'<small>{html.escape(tenant.display_name)}</small></li>'
                for tenant, user in self.server.state.sign_in_accounts()[:50]]
        cancel = html.escape("?" + urlencode({**query, "account": "cancel"}))
        return ("<!doctype html><title>Sign in to your account</title><h1>Microsoft 365 emulator</h1>"
                "<p>Pick an account</p><ul>" + "".join(rows) + f'</ul><a href="{cancel}">Cancel</a>')

    def _page(self, status: int, message: str):
        self._send(status, f"<!doctype html><title>Sign in</title><h1>Sorry, but we’re having trouble signing "
                           f"you in.</h1><p>{html.escape(message)}</p>", content_type="text/html; charset=utf-8")

    def _code_token(self, tid: str, form: dict):
        """Redeem an authorization code (client_secret_post or client_secret_basic)."""
        import jwt

        state = self.server.state
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            from urllib.parse import unquote

            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        app = state.apps.get(client_id)
        if app is None:
            return self._aadsts(700016, tid, client_id)
        if secret != app.secret:
            return self._aadsts(7000215, tid, client_id)
        with state.lock:
            grant = state.auth_codes.pop(form.get("code", ""), None)  # one use, even when refused below
        if grant is None or grant["expires"] < time.monotonic() or grant["client_id"] != client_id \
                or grant["redirect_uri"] != form.get("redirect_uri"):
            return self._send(400, {"error": "invalid_grant", "error_codes": [70000],
                                    "error_description": "AADSTS70000: The provided authorization code is invalid "
                                                         "or has expired."})
        tenant = state.tenants[grant["tid"]]
        user = tenant.objects["users"][grant["oid"]]
        claims = state.id_token_claims(tenant, user, issuer=f"{self._base()}/{tenant.tid}/v2.0",
                                       client_id=client_id, nonce=grant["nonce"])
        id_token = jwt.encode(claims, state.signing_key, algorithm="RS256", headers={"kid": state.signing_kid})
        access = f"emu-user.{uuid.uuid4().hex}"
        with state.lock:
            state.user_tokens[access] = claims
        self._send(200, {"token_type": "Bearer", "scope": grant["scope"], "expires_in": state.expires_in,
                         "ext_expires_in": state.expires_in, "access_token": access, "id_token": id_token})

    def _userinfo(self):
        auth = self.headers.get("Authorization", "")
        claims = self.server.state.user_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if claims is None:
            return self._send(*_graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid."))
        self._send(200, {k: claims[k] for k in ("sub", "name", "family_name", "given_name", "email")})

    def _cipp_token(self, tid: str, form: dict):
        """Client credentials for the CIPP-API app, in the MSP's own tenant."""
        state = self.server.state
        cipp, client_id = state.cipp, form.get("client_id", "")
        if cipp is None or tid != cipp.tid:
            return self._aadsts(90002, tid, client_id)
        if client_id != cipp.client_id:
            return self._aadsts(700016, tid, client_id)
        if form.get("client_secret") != cipp.secret:
            return self._aadsts(7000215, tid, client_id)
        if form.get("grant_type") != "client_credentials" or form.get("scope") != cipp.scope:
            return self._send(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope.",
                                    "error_codes": [1002012]})
        with state.lock:
            state.token_serial += 1
            token = f"cipp.{state.token_serial}.{uuid.uuid4().hex}"
            cipp.tokens.add(token)
        self._send(200, {"token_type": "Bearer", "expires_in": state.expires_in,
                         "ext_expires_in": state.expires_in, "access_token": token})

    # -- CIPP-API ------------------------------------------------------------------------------
    def _cipp(self, endpoint: str, query: dict):
        """ListTenants / ListUsers / ListDevices: whole arrays of the managed tenants'
        live objects (Graph-shaped, as CIPP relays them). Faults: route cipp_<Endpoint>."""
        route = f"cipp_{endpoint}"
        self._count(route)
        state = self.server.state
        with state.lock:
            state.queries.append((route, dict(query)))
        if state.cipp is None or endpoint not in ("ListTenants", "ListUsers", "ListDevices"):
            return self._send(404, {"error": f"No CIPP endpoint {endpoint}"})
        if self._apply_fault(route):
            return
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in state.cipp.tokens:
            return self._send(401, {"error": "Unauthorized"})
        if not state.cipp.has_role:
            return self._send(403, {"error": "Forbidden: this API client has no role"})
        with state.lock:
            tenants = [t for t in state.tenants.values() if t.tid != state.cipp.tid and not t.msp_own]
            if endpoint == "ListTenants":
                return self._send(200, [{"customerId": t.tid, "defaultDomainName": t.domains[0],
                                         "displayName": t.display_name,
                                         "initialDomainName": next((d for d in t.domains
                                                                    if d.endswith(".onmicrosoft.com")), ""),
                                         "delegatedPrivilegeStatus": "granularDelegatedAdminPrivileges"}
                                        for t in tenants])
            wanted = query.get("TenantFilter", "").lower()
            tenant = next((t for t in tenants if wanted in (t.tid, *(d.lower() for d in t.domains))), None)
            if tenant is None:
                return self._send(500, {"Results": f"Tenant {wanted} not found"})
            resource = "users" if endpoint == "ListUsers" else "managed"
            if resource == "managed" and not tenant.intune:
                return self._send(200, [])
            self._send(200, [dict(tenant.objects[resource][oid]) for oid in tenant.order[resource]
                             if tenant.live(resource, oid)])

    def _adminconsent(self, tid: str, query: dict):
        self._count("adminconsent")
        state = self.server.state
        app = state.apps.get(query.get("client_id", ""))
        redirect = query.get("redirect_uri", "")
        if app is None or not redirect or (app.redirect_uris and redirect not in app.redirect_uris):
            return self._send(400, "<h1>AADSTS50011: the redirect URI does not match.</h1>",
                              content_type="text/html")
        answer = state.consent_answer
        if "decision" in query:  # the chooser page's buttons
            answer = (query.get("tenant", ""), query["decision"])
        if answer is None:
            return self._send(200, self._consent_page(query), content_type="text/html; charset=utf-8")
        chosen, decision = answer
        params = {"state": query.get("state", "")}
        with state.lock:
            tenant = state.tenants.get(chosen)
            if decision == "accept" and tenant is not None:
                tenant.consented = True
                tenant.token_error = None
                params.update({"admin_consent": "True", "tenant": chosen,
                               "scope": query.get("scope", "https://graph.microsoft.com/.default")})
            else:
                params.update({"error": "consent_required",
                               "error_description": "AADSTS65004: User declined to consent to access the app."})
        self._send(302, b"", {"Location": f"{redirect}?{urlencode(params)}"})

    def _consent_page(self, query: dict) -> str:
        rows = []
        for tenant in self.server.state.tenants.values():
            for decision, label in (("accept", "Accept"), ("decline", "Cancel")):
                link = "?" + urlencode({**query, "tenant": tenant.tid, "decision": decision})
                rows.append(f'<a href="{html.escape(link)}">{label} as admin of '
                            f'{html.escape(tenant.display_name)} ({html.escape(tenant.domains[0])})</a><br>')
        return ("<!doctype html><title>Permissions requested</title><h1>Microsoft 365 emulator</h1>"
                "<p>Permissions requested: read all users, devices and managed devices.</p>" + "".join(rows))

    # -- Graph ------------------------------------------------------------------------------
    def _graph(self, resource_path: str, query: dict):
        route = resource_path.replace("deviceManagement/managedDevices", "managed").replace("/", "_")
        if resource_path in HEALTH_ROUTES:
            route = HEALTH_ROUTES[resource_path][0]
        self._count(route)
        with self.server.state.lock:
            self.server.state.queries.append((route, dict(query)))
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        entry = self.server.state.check_token(token)
        tid = entry[0] if entry else None
        if self._apply_fault(route, tid):
            return
        entry = self.server.state.check_token(token)  # a fault may have revoked it
        if entry is None:
            return self._send(*_graph_error(401, "InvalidAuthenticationToken",
                                            "Access token has expired or is not yet valid."))
        tid, roles, _ = entry
        tenant = self.server.state.tenants[tid]
        if resource_path == "organization":
            if not roles & ORG_ROLES:
                return self._send(*_graph_error(403, "Authorization_RequestDenied",
                                                "Insufficient privileges to complete the operation."))
            return self._send(200, {"value": [tenant.organization()]})
        if resource_path in HEALTH_ROUTES:
            if not roles & HEALTH_ROUTES[resource_path][1]:
                return self._send(*_graph_error(403, "Authorization_RequestDenied",
                                                "Insufficient privileges to complete the operation."))
            with self.server.state.lock:
                return self._health(tenant, route, query)
        single = re.fullmatch(r"(users|devices)/([0-9a-fA-F-]{36})", resource_path)
        if single:
            return self._one(tenant, roles, single[1], single[2], query)
        delta = resource_path.endswith("/delta")
        name = resource_path.removesuffix("/delta")
        if name not in GRAPH_RESOURCES or (delta and name not in ("users", "devices")):
            return self._send(*_graph_error(400, "BadRequest", f"Resource not found for the segment '{name}'."))
        resource, role = GRAPH_RESOURCES[name]
        if role not in roles:
            return self._send(*_graph_error(403, "Authorization_RequestDenied",
                                            "Insufficient privileges to complete the operation."))
        if resource == "managed" and not tenant.intune:
            return self._send(*_graph_error(400, "BadRequest", "Request not applicable to target tenant."))
        with self.server.state.lock:
            if delta:
                return self._delta(tenant, name, resource, query)
            return self._list(tenant, name, resource, query)

    def _health(self, tenant, route: str, query: dict):
        base = f"{self._base()}/v1.0"
        if route == "users_count":
            # An advanced query: Graph refuses it without ConsistencyLevel: eventual.
            if self.headers.get("ConsistencyLevel", "").lower() != "eventual" or \
                    query.get("$filter", "").replace(" ", "") != "assignedLicenses/$countne0":
                return self._send(*_graph_error(400, "Request_UnsupportedQuery",
                                                "Unsupported query: ConsistencyLevel: eventual and a supported "
                                                "$filter are required."))
            count = sum(1 for oid in tenant.order["users"]
                        if tenant.live("users", oid) and tenant.objects["users"][oid].get("assignedLicenses"))
            return self._send(200, str(count), content_type="text/plain; charset=utf-8")
        if route == "subscribedSkus":  # not paged: every SKU in one answer
            return self._send(200, {"@odata.context": f"{base}/$metadata#subscribedSkus",
                                    "value": [dict(s) for s in tenant.skus]})
        if route == "secureScores":
            try:
                top = int(query.get("$top", 100))
            except ValueError:
                top = -1
            if top < 1:
                return self._send(*_graph_error(400, "BadRequest", "Invalid $top."))
            return self._send(200, {"@odata.context": f"{base}/$metadata#security/secureScores",
                                    "value": [dict(s) for s in tenant.secure_scores[:top]]})
        # userRegistrationDetails: paged, nextLink with an opaque skiptoken
        # Paged over the directory's order (a page may hold fewer rows: disabled users are left out).
        offset = _unb64(query["$skiptoken"])["o"] if "$skiptoken" in query else 0
        page = self.server.state.registration_page_size
        body = {"@odata.context": f"{base}/$metadata#reports/authenticationMethods/userRegistrationDetails",
                "value": tenant.registrations(offset, offset + page)}
        if offset + page < len(tenant.order["users"]):
            body["@odata.nextLink"] = (f"{base}/reports/authenticationMethods/userRegistrationDetails"
                                       f"?$skiptoken={_b64({'o': offset + page})}")
        return self._send(200, body)

    def _one(self, tenant, roles, name: str, oid: str, query: dict):
        """GET /users/{id}, /devices/{id}: one live object ($select honoured), else 404."""
        resource, role = GRAPH_RESOURCES[name]
        if role not in roles:
            return self._send(*_graph_error(403, "Authorization_RequestDenied",
                                            "Insufficient privileges to complete the operation."))
        select = [s for s in query.get("$select", "").split(",") if s]
        with self.server.state.lock:
            if not tenant.live(resource, oid):
                return self._send(*_graph_error(404, "Request_ResourceNotFound",
                                                f"Resource '{oid}' does not exist or one of its queried "
                                                "reference-property objects are not present."))
            return self._send(200, _select(tenant.objects[resource][oid], select))

    def _list(self, tenant, name: str, resource: str, query: dict):
        if "$skiptoken" in query:
            tok = _unb64(query["$skiptoken"])
            offset, top, select, clause = tok["o"], tok["t"], tok["s"], tok.get("f", "")
        else:
            clause = query.get("$filter", "")
            try:
                top = int(query.get("$top", 100))
            except ValueError:
                top = -1
            if not 1 <= top <= 999:
                return self._send(*_graph_error(400, "Request_UnsupportedQuery",
                                                f"Invalid page size specified: '{query.get('$top')}'. Must be "
                                                "between 1 and 999 inclusive."))
            offset, select = 0, [s for s in query.get("$select", "").split(",") if s]
        order = tenant.order[resource]
        if clause:  # filtered first, then paged: a page holds `top` matches
            matches = _filter(resource, clause)
            if matches is None:
                return self._send(*_graph_error(400, "BadRequest", f"Invalid filter clause: {clause}"))
            objects = tenant.objects[resource]
            order = [oid for oid in order if tenant.live(resource, oid) and matches(objects[oid])]
        chunk = order[offset:offset + top]
        value = [_select(tenant.objects[resource][oid], select) for oid in chunk if tenant.live(resource, oid)]
        body = {"@odata.context": f"{self._base()}/v1.0/$metadata#{name}", "value": value}
        if offset + top < len(order):
            body["@odata.nextLink"] = f"{self._base()}/v1.0/{name}?$skiptoken=" + _b64(
                {"o": offset + top, "t": top, "s": select, **({"f": clause} if clause else {})})
        self._send(200, body)

    def _delta(self, tenant, name: str, resource: str, query: dict):
        page = self.server.state.delta_page_size
        if "$skiptoken" in query:
            tok = _unb64(query["$skiptoken"])
        elif "$deltatoken" in query:
            raw = query["$deltatoken"]
            if raw == "latest":
                select = [s for s in query.get("$select", "").split(",") if s]
                return self._send(200, {"value": [], "@odata.deltaLink": self._delta_link(name, tenant.seq, select)})
            tok = _unb64(raw)
            if tok["q"] < tenant.delta_min_seq:
                if tenant.delta_expiry_mode == "410":
                    return self._send(410, b"", {"Location": f"{self._base()}/v1.0/{name}/delta"})
                return self._send(*_graph_error(400, "syncStateNotFound", "The sync state is not found."))
            tok = {"f": 0, "since": tok["q"], "u": tenant.seq, "o": 0, "s": tok["s"]}
        else:
            select = [s for s in query.get("$select", "").split(",") if s]
            tok = {"f": 1, "since": 0, "u": tenant.seq, "o": 0, "s": select}
        select, offset = tok["s"], tok["o"]
        if tok["f"]:
            ids = tenant.order[resource]
            chunk = ids[offset:offset + page]
            value = [_select(tenant.objects[resource][oid], select) for oid in chunk if tenant.live(resource, oid)]
            total = len(ids)
        else:
            changes = tenant.changes_since(resource, tok["since"], tok["u"])
            total = len(changes)
            value = []
            for oid, keys in changes[offset:offset + page]:
                if oid in tenant.removed[resource]:
                    value.append({"id": oid, "@removed": {"reason": tenant.removed[resource][oid]}})
                else:
                    value.append(_select(tenant.objects[resource][oid], select, keys))
        body = {"@odata.context": f"{self._base()}/v1.0/$metadata#{name}", "value": value}
        if offset + page < total:
            body["@odata.nextLink"] = f"{self._base()}/v1.0/{name}/delta?$skiptoken=" + _b64(
                {**tok, "o": offset + page})
        else:
            body["@odata.deltaLink"] = self._delta_link(name, tok["u"], select)
        self._send(200, body)

    def _delta_link(self, name: str, seq: int, select: list[str]) -> str:
        return f"{self._base()}/v1.0/{name}/delta?$deltatoken=" + _b64({"q": seq, "s": select})

    # -- control API (the CLI's remote control) -----------------------------------------------
    def _control(self, method: str, segs: list[str], query: dict):
        state = self.server.state
        body = {}
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        with state.lock:
            if segs == ["counts"]:
                return self._send(200, dict(state.counts))
            if segs == ["tenants"]:
                return self._send(200, [{"tid": t.tid, "displayName": t.display_name, "domains": t.domains,
                                         "users": len(t.objects["users"]), "devices": len(t.objects["devices"]),
                                         "managed": len(t.objects["managed"])} for t in state.tenants.values()])
            if method == "POST" and segs == ["reset-counts"]:
                state.counts.clear()
                return self._send(200, {})
            if method == "POST" and segs == ["mutate"]:
                tenant = state.tenants[body["tenant"]]
                return self._send(200, tenant.mutate(fraction=float(body.get("fraction", 0.01)),
                                                     seed=int(body.get("seed", 1))))
            if method == "POST" and segs == ["fault"]:
                state.fault(body.pop("route"), body.pop("status"), **body)
                return self._send(200, {})
            if method == "POST" and segs == ["settings"]:
                for key in ("latency", "error_rate", "expires_in", "token_lifetime", "delta_page_size"):
                    if key in body:
                        setattr(state, key, body[key])
                return self._send(200, {})
        self._send(404, {"error": "no such control route"})


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, state: EmulatorState, host: str, port: int, ssl_context: ssl.SSLContext):
        super().__init__((host, port), Handler)
        self.state = state
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.host_port = f"{host}:{self.server_address[1]}"


class Emulator:
    """A running emulator: `base_url`, `ca_path` (PEM to trust), `state`, and the app
    credentials it accepts. Use as a context manager or call start()/stop()."""

    def __init__(self, *, state: EmulatorState | None = None, host: str = "127.0.0.1", port: int = 0,
                 ca_dir: str | Path | None = None, client_id: str = "11111111-2222-3333-4444-555555555555",
                 client_secret: str = "emulator-secret"):  # noqa: S107 (the emulator's own fake app)
        import tempfile

        import trustme

        self.state = state or EmulatorState()
        self.client_id, self.client_secret = client_id, client_secret
        if client_id not in self.state.apps:
            self.state.add_app(client_id, client_secret)
        ca = trustme.CA()
        cert = ca.issue_cert(host, "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.ca_dir = Path(ca_dir or tempfile.mkdtemp(prefix="m365-emulator-"))
        self.ca_dir.mkdir(parents=True, exist_ok=True)
        self.ca_path = self.ca_dir / "emulator-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        self.server = EmulatorServer(self.state, host, port, ctx)
        self.base_url = f"https://{self.server.host_port}"
        self._thread: threading.Thread | None = None

    def reset(self) -> EmulatorState:
        """Fresh state (same server, same certificate): one test's tenants, faults and
        counters never leak into the next."""
        state = EmulatorState()
        state.add_app(self.client_id, self.client_secret)
        self.state = self.server.state = state
        return state

    @property
    def env(self) -> dict[str, str]:
        """Settings/environment that point OpsMerge at this emulator."""
        return {
            "M365_AUTHORITY_HOST": self.base_url,
            "M365_GRAPH_URL": self.base_url,
            # A proxy in front of Graph: the token is still for Graph's resource.
            "M365_GRAPH_SCOPE": "https://graph.microsoft.com/.default",
            "M365_CA_BUNDLE": str(self.ca_path),
            "M365_CLIENT_ID": self.client_id,
            "M365_CLIENT_SECRET": self.client_secret,
        }

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="m365-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["ZERO_GUID", "Emulator", "EmulatorServer"]
