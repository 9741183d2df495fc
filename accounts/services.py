"""Writes on MSPs and staff accounts that are not Team management (issue 13)."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from .models import Msp, User
from .roles import Role


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "msp")[:50]
    taken = set(Msp.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def msp_sign_up(*, msp_name: str, full_name: str, email: str, password: str, user: User | None = None) -> User:
    """MSP self-service sign-up: the MSP (MFA required for everyone, the owner's email
    kept as its sign-up email) and its first Super Admin. `user` is allauth's unsaved
    new user when the sign-up form calls this."""
    email = email.strip().lower()
    msp = Msp.objects.create(name=msp_name.strip(), slug=_unique_slug(msp_name), signup_email=email,
                             support_email=email, require_mfa=True)
    user = user or User()
    user.email, user.full_name, user.msp, user.role = email, full_name.strip(), msp, Role.SUPER_ADMIN
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def msp_set_require_mfa(*, msp: Msp, require: bool, actor=None) -> bool:
    """Switch "require MFA for everyone"; True when it changed (audited)."""
    from opsmerge.audit import audit_record

    if msp.require_mfa == require:
        return False
    Msp.objects.filter(pk=msp.pk).update(require_mfa=require)
    msp.require_mfa = require
    audit_record(msp=msp, actor=actor, action="msp.require_mfa", obj=msp,
                 changes={"require_mfa": [not require, require]})
    return True
