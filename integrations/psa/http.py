"""The PSA connectors' HTTP layer: the shared retry policy (opsmerge/retrying_http.py,
the same one Microsoft 365 uses) with PSA settings, a per-process session per CA
bundle, and a request counter (the bench prints it beside the floor).

Non-retryable answers are returned to the connector, which maps the vendor's error
shape to PsaError; exhausted retries become PsaError(rate_limited | transient).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin

import requests
from django.conf import settings

from opsmerge import retrying_http

from .connectors.base import PsaError

_lock = threading.Lock()
_sessions: dict[str, requests.Session] = {}
sleep = time.sleep  # one seam


def _setting(name: str, default):
    return getattr(settings, name, default)


def policy() -> retrying_http.RetryPolicy:
    return retrying_http.RetryPolicy(max_tries=int(_setting("PSA_MAX_TRIES", 5)),
                                     max_inline_wait=float(_setting("PSA_MAX_INLINE_WAIT", 60.0)),
                                     backoff_base=float(_setting("PSA_BACKOFF_BASE", 1.0)),
                                     timeout=float(_setting("PSA_HTTP_TIMEOUT", 30.0)))


def session() -> requests.Session:
    bundle = _setting("PSA_CA_BUNDLE", "") or ""
    with _lock:
        if bundle not in _sessions:
            _sessions[bundle] = retrying_http.new_session(bundle, pool=16)
        return _sessions[bundle]


def reset_sessions() -> None:
    with _lock:
        _sessions.clear()


class PsaHttp:
    def __init__(self, base_url: str, *, auth_headers: Callable[[], dict],
                 on_401: Callable[[], bool] | None = None, default_headers: dict | None = None):
        self.base_url = base_url.rstrip("/") + "/"
        self.auth_headers = auth_headers
        self.on_401 = on_401
        self.default_headers = {"Accept": "application/json", **(default_headers or {})}
        self.requests = 0
        self._count_lock = threading.Lock()
        self._next_at = 0.0

    def throttle(self) -> None:
        """Client-side rate limit: at most PSA_MAX_REQUESTS_PER_SECOND requests a second
        from this connector (0 = no limit; the PSA's 429s are honoured either way)."""
        rate = float(_setting("PSA_MAX_REQUESTS_PER_SECOND", 0) or 0)
        if rate <= 0:
            return
        with self._count_lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + 1.0 / rate
        if wait > 0:
            sleep(wait)

    def _count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def request(self, method: str, path_or_url: str, *, params=None, json=None, headers: dict | None = None,
                data=None, transient: frozenset[int] | None = None, auth: bool = True):
        """(status, body_json_or_None, headers) of the first non-retryable answer.
        data: a form body (OAuth token requests); transient: the statuses to retry
        (default 429 and 5xx; Autotask's writes leave out 500, its validation answer);
        auth=False: no auth headers and no 401 refresh (the token request itself)."""
        def all_headers():
            return {**self.default_headers, **(self.auth_headers() if auth else {}), **(headers or {})}

        self.throttle()
        try:
            response = retrying_http.send(session(), method, self.url(path_or_url), policy=policy(),
                                          headers=all_headers, on_401=self.on_401 if auth else None, sleep=sleep,
                                          count=self._count, params=params, json=json, data=data,
                                          transient=retrying_http.TRANSIENT_STATUSES if transient is None else transient)
        except retrying_http.GaveUp as exc:
            if exc.response is None:
                raise PsaError("transient", "network_error", exc.network_error) from None
            status = exc.response.status_code
            kind = "rate_limited" if status == 429 else "transient"
            raise PsaError(kind, f"HTTP{status}", "the PSA is busy; try again later", status=status,
                           retry_after=exc.wait) from None
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return response.status_code, body, response.headers
