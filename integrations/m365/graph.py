"""Talking to Microsoft: one msal ConfidentialClientApplication per tenant (cached per
process; "each CCA binds to one tenant only"), one requests.Session shared by msal
and Graph calls, bounded retries honouring Retry-After, one token refresh on 401.

Hosts come from settings (M365_AUTHORITY_HOST, M365_GRAPH_URL) so sovereign clouds
and the local emulator use the same code path; M365_CA_BUNDLE pins the CA to trust.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator

import msal
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins

from opsmerge import retrying_http

from . import conf
from .errors import Kind, M365Error, from_token_result, graph_error_code

log = logging.getLogger("opsmerge.m365")

TRANSIENT_STATUSES = retrying_http.TRANSIENT_STATUSES
DELTA_RESET_CODES = {"syncStateNotFound", "resyncRequired", "SyncStateNotFound"}
PERMISSION_BY_PATH = (
    ("/deviceManagement/managedDevices", "DeviceManagementManagedDevices.Read.All"),
    ("/subscribedSkus", "Organization.Read.All"),
    ("/security/secureScores", "SecurityEvents.Read.All"),
    ("/reports/authenticationMethods", "AuditLog.Read.All"),
    ("/users", "User.Read.All"),
    ("/devices", "Device.Read.All"),
    ("/organization", "Organization.Read.All"),
)

_lock = threading.Lock()
_session: requests.Session | None = None
_session_key: tuple | None = None
_apps: dict[tuple, msal.ConfidentialClientApplication] = {}
sleep = time.sleep  # one seam, so a test could count waits; the real thing sleeps


def http_session() -> requests.Session:
    """The process-wide session: no proxy/CA variables from the environment
    (REQUESTS_CA_BUNDLE would override `verify`), keep-alive to Microsoft."""
    global _session, _session_key
    key = (settings.M365_CA_BUNDLE,)
    with _lock:
        if _session is None or _session_key != key:
            session = requests.Session()
            session.trust_env = False
            session.verify = settings.M365_CA_BUNDLE or True
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8)
            session.mount("https://", adapter)
            _session, _session_key = session, key
        return _session


def _app_key(tenant_id: str) -> tuple:
    return (settings.M365_CLIENT_ID, settings.M365_CLIENT_SECRET, settings.M365_AUTHORITY_HOST,
            settings.M365_CA_BUNDLE, str(tenant_id))


def forget_app(tenant_id: str) -> None:
    """Drop a tenant's CCA: msal caches token-endpoint errors per instance (400 for
    60 s), so after a consent change or a failure the next try needs a fresh one."""
    with _lock:
        _apps.pop(_app_key(tenant_id), None)


def reset_clients() -> None:
    """Forget every cached CCA and the session (settings changed, e.g. in tests)."""
    global _session
    with _lock:
        _apps.clear()
        _session = None


def confidential_app(tenant_id: str) -> msal.ConfidentialClientApplication:
    key = _app_key(tenant_id)
    with _lock:
        app = _apps.get(key)
    if app is not None:
        return app
    if not settings.M365_CLIENT_ID or not settings.M365_CLIENT_SECRET:
        raise M365Error(Kind.CREDENTIALS, "not_configured")
    try:
        app = msal.ConfidentialClientApplication(
            settings.M365_CLIENT_ID,
            client_credential=settings.M365_CLIENT_SECRET,
            authority=f"{settings.M365_AUTHORITY_HOST}/{tenant_id}",
            instance_discovery=conf.instance_discovery(),
            http_client=http_session(),
            timeout=conf.http_timeout(),
        )
    except ValueError as exc:  # discovery answered 4xx: unknown tenant
        log.warning("m365 discovery failed for tenant %s: %s", tenant_id, type(exc).__name__)
        raise M365Error(Kind.TENANT_NOT_FOUND, "AADSTS90002") from None
    except (requests.RequestException, msal.exceptions.MsalServiceError):
        raise M365Error(Kind.TRANSIENT, "discovery_unavailable") from None
    with _lock:
        _apps[key] = app
    return app


def _credential_key(suffix: str) -> str:
    digest = hashlib.sha256(f"{settings.M365_CLIENT_ID}:{settings.M365_CLIENT_SECRET}".encode()).hexdigest()[:16]
    return f"m365:credentials:{suffix}:{digest}"


def credentials_broken() -> bool:
    return bool(cache.get(_credential_key("broken")))


def _credentials_failed(code: str) -> None:
    """The MSP-side secret is wrong or expired: every tenant would fail the same way.
    Fail fast for 15 minutes (or until the secret changes) and alert once."""
    cache.set(_credential_key("broken"), code, 15 * 60)
    if cache.add(_credential_key("alerted"), 1, 6 * 60 * 60):
        log.error("m365 app credential rejected (%s): all tenant syncs fail fast", code)
        mail_admins("Microsoft 365 app credential rejected",
                    f"Microsoft rejected M365_CLIENT_SECRET ({code}). Every tenant sync is paused until the "
                    f"secret in the OpsMerge settings is replaced.", fail_silently=True)


def backoff(attempt: int) -> float:
    return retrying_http.backoff(attempt, conf.backoff_base())


retry_after = retrying_http.retry_after


class RetryingClient:
    """GETs with a bearer token, the one retry policy of every Microsoft 365 source
    (Graph, CIPP): one fresh token on a 401, waits on 429 and 5xx (Retry-After, else
    exponential backoff) up to M365_MAX_TRIES / M365_MAX_INLINE_WAIT, network errors
    retried, every refusal an M365Error. Subclasses give the token and name errors."""

    network_code = "network_error"

    def __init__(self):
        self.requests = 0
        self.pages = 0

    def token(self) -> str:
        raise NotImplementedError

    def drop_token(self) -> None:
        raise NotImplementedError

    def error_code(self, response) -> str:
        return f"HTTP{response.status_code}"

    def permission(self, url: str) -> str:
        return "?"

    def refusal(self, status: int, code: str) -> M365Error | None:
        """A source-specific error for this answer (Graph: an expired delta link)."""
        return None

    def _count(self) -> None:
        self.requests += 1

    def get(self, url: str, params: dict | None = None, *, headers: dict | None = None, text: bool = False):
        """GET `url` with retries (opsmerge/retrying_http.py, the policy the PSA
        connectors share); the JSON body (or the text body, for `$count`)."""
        policy = retrying_http.RetryPolicy(max_tries=conf.max_tries(), max_inline_wait=conf.max_inline_wait(),
                                           backoff_base=conf.backoff_base(), timeout=conf.http_timeout())

        def all_headers() -> dict:
            return {"Authorization": f"Bearer {self.token()}",
                    "Accept": "text/plain" if text else "application/json", **(headers or {})}

        def refresh() -> bool:  # expired or revoked: one fresh token, one more try
            self.drop_token()
            return True

        try:
            response = retrying_http.send(http_session(), "GET", url, policy=policy, headers=all_headers,
                                          on_401=refresh, sleep=lambda seconds: sleep(seconds), count=self._count,
                                          transient=TRANSIENT_STATUSES, params=params)
        except retrying_http.GaveUp as exc:
            if exc.response is None:
                log.warning("m365 %s: %s", self.network_code, exc.network_error)
                raise M365Error(Kind.TRANSIENT, self.network_code) from None
            status, code = exc.response.status_code, self.error_code(exc.response)
            special = self.refusal(status, code)
            if special is not None:
                raise special from None
            raise M365Error(Kind.TRANSIENT, code, retry_after=exc.wait, status=status) from None
        status = response.status_code
        if status == 200:
            if text:
                return response.text
            try:
                return response.json()
            except ValueError:
                raise M365Error(Kind.UNEXPECTED, "not_json", status=status) from None
        code = self.error_code(response)
        if status == 401:
            raise M365Error(Kind.TOKEN, code, status=status)
        special = self.refusal(status, code)
        if special is not None:
            raise special
        if status == 403:
            raise M365Error(Kind.PERMISSION, code, permission=self.permission(url), status=status)
        raise M365Error(Kind.UNEXPECTED, code, status=status)


class GraphClient(RetryingClient):
    """App-only Graph access to one tenant. Counts requests and pages for SyncRun."""

    def __init__(self, tenant_id: str):
        super().__init__()
        self.tenant_id = str(tenant_id)

    # -- tokens ------------------------------------------------------------------
    def token(self) -> str:
        if credentials_broken():
            raise M365Error(Kind.CREDENTIALS, cache.get(_credential_key("broken")) or "credentials")
        tries = conf.max_tries()
        for attempt in range(1, tries + 1):
            app = confidential_app(self.tenant_id)
            try:
                result = app.acquire_token_for_client(scopes=[conf.graph_scope()])
            except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
                result = {"error": "temporarily_unavailable", "error_codes": [], "exception": type(exc).__name__}
            if result and "access_token" in result:
                return result["access_token"]
            error = from_token_result(result or {})
            forget_app(self.tenant_id)  # msal caches the failed response per instance
            if error.kind == Kind.CREDENTIALS:
                _credentials_failed(error.code)
            if error.kind == Kind.TRANSIENT and attempt < tries:
                sleep(backoff(attempt))
                continue
            raise error
        raise AssertionError("unreachable")

    def drop_token(self) -> None:
        confidential_app(self.tenant_id).remove_tokens_for_client()

    # -- Graph -----------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{settings.M365_GRAPH_URL}/v1.0/{path.lstrip('/')}"

    def error_code(self, response) -> str:
        return graph_error_code(response)

    def refusal(self, status: int, code: str) -> M365Error | None:
        if status == 410 or code in DELTA_RESET_CODES:
            return M365Error(Kind.DELTA_EXPIRED, "syncStateNotFound" if status != 410 else "HTTP410", status=status)
        return None

    def permission(self, url: str) -> str:
        return self._permission(url)

    @staticmethod
    def _permission(url: str) -> str:
        path = url.split("/v1.0", 1)[-1]
        return next((perm for prefix, perm in PERMISSION_BY_PATH if path.startswith(prefix)), "?")

    def pages_of(self, path_or_url: str, params: dict | None = None) -> Iterator[dict]:
        """Every page of a collection, following @odata.nextLink as given (never
        parsing $skiptoken); the last page carries @odata.deltaLink for delta queries."""
        url = path_or_url if path_or_url.startswith("https://") else self.url(path_or_url)
        while url:
            body = self.get(url, params)
            params = None  # the nextLink/deltaLink already encodes the query
            self.pages += 1
            yield body
            url = body.get("@odata.nextLink")

    def count(self, path: str, params: dict | None = None) -> int:
        """`/<collection>/$count` with an advanced filter (ConsistencyLevel: eventual)."""
        raw = self.get(self.url(path), params, headers={"ConsistencyLevel": "eventual"}, text=True)
        try:
            return int(str(raw).strip().lstrip("\ufeff"))
        except ValueError:
            raise M365Error(Kind.UNEXPECTED, "count_not_a_number") from None

    def organization(self) -> dict:
        body = self.get(self.url("organization"))
        values = body.get("value") or []
        if not values:
            raise M365Error(Kind.NOT_VERIFIED, "organization_empty")
        return values[0]
