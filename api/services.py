"""API keys: create (token shown once), revoke, authenticate, touch last-used."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.permissions import MATRIX, Op, require
from accounts.roles import Role
from opsmerge.audit import audit_record
from opsmerge.tenancy import msp_scope

from .models import ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most once a minute per key


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once, never stored


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def roles_grantable_by(user) -> list[Role]:
    """A user may only mint keys whose powers are a subset of their own."""
    own = {op for op, roles in MATRIX.items() if Role(user.role) in roles}
    return [role for role in Role if {op for op, roles in MATRIX.items() if role in roles} <= own]


@transaction.atomic
def api_key_create(*, msp, actor, name: str, role: str, expires_at: datetime | None = None,
                   rate_limit_per_minute: int | None = None) -> IssuedKey:
    require(actor, Op.API_KEYS)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the key a name, e.g. the tool that will use it."})
    if role not in {r.value for r in roles_grantable_by(actor)}:
        raise ValidationError({"role": "You cannot create a key with more rights than your own role."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if ApiKey.objects.filter(msp=msp, name__iexact=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": f"An active key called {name} already exists."})
    prefix = secrets.token_hex(4)
    token = f"{settings.API_KEY_TOKEN_PREFIX}_{msp.pk}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(msp=msp, name=name, role=role, expires_at=expires_at, rate_limit_per_minute=rate_limit_per_minute,
                 prefix=prefix, secret_hash=_hash(token), created_by=actor)
    key.full_clean(exclude=["msp", "created_by", "revoked_by"])
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        raise ValidationError({"name": f"An active key called {name} already exists."}) from None
    audit_record(msp=msp, actor=actor, action="api_key.create", obj=key,
                 changes={"name": name, "role": role, "expires_at": expires_at, "prefix": prefix})
    return IssuedKey(key=key, token=token)


@transaction.atomic
def api_key_revoke(*, msp, key: ApiKey, actor) -> ApiKey:
    """Revoke at once; idempotent. The row stays for the audit trail."""
    require(actor, Op.API_KEYS)
    if key.msp_id != msp.pk:
        raise ValidationError("Unknown API key.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(msp=msp, actor=actor, action="api_key.revoke", obj=key, changes={"name": key.name})
    return key


def api_keys_revoke_for_deactivated_user(*, msp, user, actor) -> int:
    """The user who created these keys was deactivated (accounts.signals.user_deactivated):
    revoke their usable keys at once. The deactivation was the permission check."""
    keys = list(ApiKey.objects.filter(msp=msp, created_by=user, revoked_at__isnull=True))
    now = timezone.now()
    for key in keys:
        key.revoked_at, key.revoked_by = now, actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(msp=msp, actor=actor, action="api_key.revoke", obj=key,
                     changes={"name": key.name}, reason=f"{user} was deactivated")
    return len(keys)


def parse_token(token: str) -> tuple[int, str] | None:
    """(msp id, prefix) of a well-formed token, else None. No database access."""
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != settings.API_KEY_TOKEN_PREFIX or not parts[1].isdigit():
        return None
    if len(parts[2]) != 8 or len(parts[3]) < 32:
        return None
    return int(parts[1]), parts[2]


def api_key_authenticate(token: str) -> ApiKey | None:
    """The usable key for `token`, or None (unknown, wrong secret, revoked, expired,
    or created by a user who is deactivated).

    Looks the key up inside the MSP named by the token (the manager stays scoped) and
    compares hashes in constant time. `key.msp` is filled, so callers need no extra
    query to open the scope.
    """
    from accounts.models import Msp

    parsed = parse_token(token)
    if parsed is None:
        return None
    msp_id, prefix = parsed
    msp = Msp.objects.filter(pk=msp_id).first()
    if msp is None:
        return None
    with msp_scope(msp):
        key = ApiKey.objects.select_related("created_by").filter(msp=msp, prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)) or not key.is_usable:
        return None
    if key.created_by is not None and not key.created_by.is_active:
        # The creator left (deactivated, maybe in the Django admin, which revokes nothing):
        # their keys stop with them even before they are revoked.
        return None
    key.msp = msp
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Record use cheaply: at most one UPDATE per key per minute, none in between."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(msp_id=key.msp_id, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
