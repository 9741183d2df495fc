"""One retry policy for every outbound HTTP integration (Microsoft 365's Graph and
CIPP, the PSA connectors): waits on 429 and 5xx honouring Retry-After (else
exponential backoff with jitter), retries network errors, one fresh credential on a
401, a bounded number of tries and a cap on how long one request may wait inline
(longer waits are the task's to reschedule). Nothing here knows an integration: the
caller maps the final answer to its own errors.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504, 507})


def backoff(attempt: int, base: float = 1.0, cap: float = 30.0) -> float:
    return min(base * (2 ** (attempt - 1)), cap) * (0.75 + random.random() / 2)


def retry_after(response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), else None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 5
    max_inline_wait: float = 60.0
    backoff_base: float = 1.0
    timeout: float = 30.0


class GaveUp(Exception):
    """The tries ran out (or the wait asked for was too long to sleep inline).
    `response` is the last answer (None after a network error); `wait` the seconds the
    server asked for, if any."""

    def __init__(self, response, wait: float | None, network_error: str = ""):
        self.response, self.wait, self.network_error = response, wait, network_error
        super().__init__(network_error or f"HTTP {getattr(response, 'status_code', '?')}")


def send(session: requests.Session, method: str, url: str, *, policy: RetryPolicy,
         headers: Callable[[], dict] | None = None, on_401: Callable[[], bool] | None = None,
         sleep: Callable[[float], None] = time.sleep, count: Callable[[], None] | None = None,
         transient: frozenset[int] = TRANSIENT_STATUSES, **kwargs) -> requests.Response:
    """Send with retries. Returns the first answer that is not transient (a 401 after
    one refresh included); raises GaveUp when tries or inline wait run out.
    `headers()` is called per attempt (a refreshed token takes effect); `on_401()`
    refreshes the credential and returns True to try once more; `count()` is called for
    each answer received (request counters)."""
    attempt, refreshed = 0, False
    while True:
        attempt += 1
        try:
            response = session.request(method, url, timeout=policy.timeout,
                                       headers=headers() if headers else None, **kwargs)
        except requests.RequestException as exc:
            if attempt >= policy.max_tries:
                raise GaveUp(None, None, type(exc).__name__) from None
            sleep(backoff(attempt, policy.backoff_base))
            continue
        if count:
            count()
        status = response.status_code
        if status == 401 and on_401 is not None and not refreshed:
            refreshed = True  # expired or revoked: one fresh credential, one more try
            attempt -= 1
            if on_401():
                continue
            return response
        if status in transient:
            wait = retry_after(response)
            asked = wait
            wait = backoff(attempt, policy.backoff_base) if wait is None else wait
            if attempt >= policy.max_tries or wait > policy.max_inline_wait:
                raise GaveUp(response, asked if asked is not None else wait)
            sleep(wait)
            continue
        return response


def new_session(ca_bundle: str = "", *, pool: int = 8) -> requests.Session:
    """A session that ignores proxy/CA environment variables (REQUESTS_CA_BUNDLE
    would override `verify`), trusting `ca_bundle` when given."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle or True
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
