"""The error table of design/m365-sync.md §5 as code: every failure talking to
Microsoft becomes an `M365Error` with a stable `code`, a `kind` that decides what
happens next, and a friendly message. Microsoft's error_description/message are
never shown (Microsoft says not to display or branch on them); they are logged with
the trace/correlation/request ids only."""

from __future__ import annotations

import logging
import re

log = logging.getLogger("opsmerge.m365")


class Kind:
    CONSENT_DECLINED = "consent_declined"  # admin declined in the consent screen
    RECONNECT = "reconnect"  # app not consented / removed: reconnect, pause the schedule
    CREDENTIALS = "credentials"  # the MSP-side secret is invalid/expired: alert once, fail fast
    TENANT_NOT_FOUND = "tenant_not_found"
    TRANSIENT = "transient"  # throttled / 5xx / network: retry later
    PERMISSION = "permission"  # token lacks a Graph role: re-run Connect
    TOKEN = "token"  # noqa: S105 — Graph keeps refusing a fresh token
    DELTA_EXPIRED = "delta_expired"  # handled silently by a full resync
    INTUNE_UNAVAILABLE = "intune_unavailable"  # handled: enrichment skipped
    NOT_VERIFIED = "not_verified"  # /organization did not prove the tenant
    CLIENT_ARCHIVED = "client_archived"
    CLIENT_MOVED = "client_moved"  # the tenant's client was merged into another during the run
    INTERNAL = "internal"  # our own failure (a bug, the database): the run is closed, the task fails
    BUSY = "busy"  # another sync of this tenant holds the lock
    UNEXPECTED = "unexpected"  # any other refusal: stop, show the code


FRIENDLY = {
    Kind.CONSENT_DECLINED: "Consent not granted: the administrator did not approve OpsMerge.",
    Kind.RECONNECT: "Reconnect required: OpsMerge is not (or no longer) consented in this tenant. "
                    "Ask a Global Administrator to run Connect again.",
    Kind.CREDENTIALS: "OpsMerge's Microsoft 365 app credential is invalid or expired. "
                      "Your administrators have been alerted; syncs pause until it is fixed.",
    Kind.TENANT_NOT_FOUND: "Tenant not found: check the tenant and reconnect.",
    Kind.TRANSIENT: "Microsoft busy, will retry.",
    Kind.PERMISSION: "Permission {permission} missing: re-run Connect.",
    Kind.TOKEN: "Microsoft rejected OpsMerge's access token: reconnect the tenant.",
    Kind.DELTA_EXPIRED: "Change tracking expired: a full resync was run.",
    Kind.INTUNE_UNAVAILABLE: "Intune not available (no licence?): device enrichment skipped.",
    Kind.NOT_VERIFIED: "Microsoft did not confirm this tenant: connect again.",
    Kind.CLIENT_ARCHIVED: "The client is archived: syncs are paused until it is restored.",
    Kind.CLIENT_MOVED: "The client was merged into another while this sync ran; it stopped, and the next "
                       "sync continues on the merged client.",
    Kind.INTERNAL: "The sync stopped on an internal error; it was logged. Try again later.",
    Kind.BUSY: "A sync of this tenant is already running.",
    Kind.UNEXPECTED: "Microsoft refused the request; the sync stopped. Try again later or reconnect.",
}

RECONNECT_CODES = {700016, 7000229, 65001, 65004}
CREDENTIAL_CODES = {7000215, 7000222, 7000216}
TENANT_NOT_FOUND_CODES = {90002, 90072}
TRANSIENT_CODES = {90055, 50196}
TRANSIENT_ERRORS = {"temporarily_unavailable", "server_error"}


class M365Error(Exception):
    def __init__(self, kind: str, code: str = "", *, permission: str = "", retry_after: float | None = None,
                 status: int | None = None):
        self.kind = kind
        self.code = code or kind
        self.permission = permission
        self.retry_after = retry_after
        self.status = status
        super().__init__(f"{self.code}: {self.friendly}")

    @property
    def friendly(self) -> str:
        return FRIENDLY[self.kind].format(permission=self.permission or "?")


def _aadsts_codes(result: dict) -> list[int]:
    codes = [int(c) for c in result.get("error_codes") or [] if str(c).isdigit()]
    if not codes:
        match = re.match(r"AADSTS(\d+)", result.get("error_description") or "")
        codes = [int(match.group(1))] if match else []
    return codes


def from_token_result(result: dict) -> M365Error:
    """Classify msal's error dict {error, error_description, error_codes}."""
    codes = _aadsts_codes(result)
    error = result.get("error") or "unknown_error"
    log.warning("m365 token error %s codes=%s trace=%s correlation=%s", error, codes,
                result.get("trace_id"), result.get("correlation_id"))
    code = f"AADSTS{codes[0]}" if codes else error
    if any(c in CREDENTIAL_CODES for c in codes):
        return M365Error(Kind.CREDENTIALS, code)
    if any(c in TENANT_NOT_FOUND_CODES for c in codes):
        return M365Error(Kind.TENANT_NOT_FOUND, code)
    if any(c in TRANSIENT_CODES for c in codes) or error in TRANSIENT_ERRORS:
        return M365Error(Kind.TRANSIENT, code)
    if any(c in RECONNECT_CODES for c in codes) or error in ("unauthorized_client", "invalid_client",
                                                             "invalid_grant", "consent_required"):
        return M365Error(Kind.RECONNECT, code)
    return M365Error(Kind.TOKEN, code)


def graph_error_code(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP{response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        log.warning("m365 graph error %s %s request-id=%s client-request-id=%s", response.status_code,
                    error.get("code"), response.headers.get("request-id"),
                    response.headers.get("client-request-id"))
        return error.get("code") or f"HTTP{response.status_code}"
    return f"HTTP{response.status_code}"
