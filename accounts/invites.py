"""Team invites (Settings → Team; issue 13, item 2).

An Admin invites someone by email with a role and tech groups; the invitee opens the
emailed link, sets a name and a password (or signs in with Microsoft: helper code in
the sign-in flow calls `invite_open_for_email` and `invite_accept(password=None)`),
and is signed in as a member of that one MSP.

The link is `<msp id>.<secret>`: a random 256-bit secret whose SHA-256 is the only
thing stored (a database read yields no working link). It works once (acceptance
stamps `accepted_at` under a row lock), until `expires_at`, and not after a revoke;
a resend issues a new secret, so the link in an older email stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from opsmerge.audit import audit_record
from opsmerge.citus import multi_shard_allowed
from opsmerge.emails import absolute_url, send_templated
from opsmerge.tenancy import msp_scope, unscoped

from .models import Invite, InviteTechGroup, Msp, TechGroup, TechGroupMember, User
from .permissions import Op, require
from .team import require_may_grant

logger = logging.getLogger(__name__)


def invite_ttl() -> timedelta:
    return timedelta(days=getattr(settings, "INVITE_TTL_DAYS", 7))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(invite: Invite) -> str:
    """Give `invite` a fresh secret and expiry (unsaved) and return the link token."""
    secret = secrets.token_urlsafe(32)
    invite.token_hash = _hash(secret)
    invite.expires_at = timezone.now() + invite_ttl()
    return f"{invite.msp_id}.{secret}"


def invite_link(token: str) -> str:
    return absolute_url(reverse("accounts:invite_accept", kwargs={"token": token}))


def _send(*, invite: Invite, token: str) -> None:
    """Email the link; a mail server failure leaves the invite pending (Resend retries)."""
    msp = invite.msp
    try:
        _deliver(invite=invite, token=token, msp=msp)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("invite %s: email not sent: %s", invite.pk, exc)
        raise ValidationError(f"The invite for {invite.email} is saved, but the email could not be sent right now. "
                              "Use Resend on the Team page in a moment.") from None
    now = timezone.now()
    Invite.objects.filter(msp=msp, pk=invite.pk).update(sent_at=now, send_count=invite.send_count + 1)
    invite.sent_at, invite.send_count = now, invite.send_count + 1


def _deliver(*, invite: Invite, token: str, msp) -> None:
    send_templated(template="accounts/email/invite", to=[invite.email], context={
        "msp": msp, "invite": invite, "link": invite_link(token), "inviter": invite.invited_by,
        "ttl_days": invite_ttl().days, "role": invite.get_role_display(),
    }, reply_to=[msp.support_email] if msp.support_email else None)


def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({"email": "Enter the email address to invite."})
    return email


def invite_create(*, msp, actor, email: str, role: str, tech_groups=(), send: bool = True) -> Invite:
    """Invite `email` to `msp` with `role` and `tech_groups`, and email the link.

    Refused: an address already on this MSP's team, or one with an open invite (resend
    that instead). An address of another MSP's user is *not* refused here — that would
    tell this MSP which addresses exist elsewhere; the invitee is told on acceptance.
    """
    require(actor, Op.USERS)
    require_may_grant(actor, role)
    email = _normalise_email(email)
    groups = list(tech_groups)
    if any(g.msp_id != msp.pk for g in groups):
        raise ValidationError({"tech_groups": "Unknown tech group."})
    if User.objects.filter(msp=msp, email=email).exists():
        raise ValidationError({"email": f"{email} is already on your team."})
    now = timezone.now()
    with transaction.atomic():
        stale = Invite.objects.select_for_update().filter(msp=msp, email=email, accepted_at__isnull=True,
                                                          revoked_at__isnull=True)
        for old in stale:
            if not old.is_expired:
                raise ValidationError({"email": f"{email} already has a pending invite. Resend it from the list."})
            old.revoked_at, old.revoked_by = now, actor  # an expired invite makes way for the new one
            old.save(update_fields=["revoked_at", "revoked_by"])
        invite = Invite(msp=msp, email=email, role=role, invited_by=actor)
        token = _new_secret(invite)
        invite.full_clean(exclude=["msp", "invited_by", "token_hash", "tech_groups"])
        try:
            with transaction.atomic():
                invite.save()
        except IntegrityError:  # a concurrent invite of the same address won the race
            raise ValidationError({"email": f"{email} already has a pending invite."}) from None
        InviteTechGroup.objects.bulk_create([InviteTechGroup(msp=msp, invite=invite, group=g) for g in groups])
        audit_record(msp=msp, actor=actor, action="invite.create", obj=invite,
                     changes={"email": email, "role": role, "tech_groups": sorted(g.name for g in groups)})
    if send:
        _send(invite=invite, token=token)
    invite.token = token  # for the caller (tests, a copy-link button); never stored
    return invite


def _require_manageable(*, msp, actor, invite: Invite) -> None:
    require(actor, Op.USERS)
    if invite.msp_id != msp.pk:
        raise ValidationError("Unknown invite.")
    require_may_grant(actor, invite.role)


def invite_resend(*, msp, actor, invite: Invite) -> Invite:
    """Email a fresh link (new secret, new expiry); the previous link stops working."""
    _require_manageable(msp=msp, actor=actor, invite=invite)
    if invite.accepted_at is not None or invite.revoked_at is not None:
        raise ValidationError(f"The invite for {invite.email} was already {invite.status}; invite them again.")
    token = _new_secret(invite)
    invite.save(update_fields=["token_hash", "expires_at"])
    audit_record(msp=msp, actor=actor, action="invite.resend", obj=invite,
                 changes={"expires_at": invite.expires_at})
    _send(invite=invite, token=token)
    invite.token = token
    return invite


def invite_revoke(*, msp, actor, invite: Invite) -> Invite:
    _require_manageable(msp=msp, actor=actor, invite=invite)
    if invite.accepted_at is not None:
        raise ValidationError(f"{invite.email} already accepted; deactivate the user instead.")
    if invite.revoked_at is None:
        invite.revoked_at, invite.revoked_by = timezone.now(), actor
        invite.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(msp=msp, actor=actor, action="invite.revoke", obj=invite)
    return invite


# ---------------------------------------------------------------- the invitee's side


def invite_from_token(token: str) -> Invite | None:
    """The invite a link token names (open or not), or None for a malformed or
    unknown token. Looks only inside the MSP the token names; compares hashes."""
    msp_id, _, secret = (token or "").partition(".")
    if not msp_id.isdigit() or len(secret) < 32:
        return None
    msp = Msp.objects.filter(pk=int(msp_id)).first()
    if msp is None:
        return None
    digest = _hash(secret)
    with msp_scope(msp):
        invite = Invite.objects.select_related("invited_by").filter(msp=msp, token_hash=digest).first()
    if invite is None or not hmac.compare_digest(invite.token_hash, digest):
        return None
    invite.msp = msp
    return invite


def invite_open_for_email(email: str) -> Invite | None:
    """The newest open (pending, unexpired) invite for `email` in any MSP, or None.

    For Microsoft sign-in: a user who signs in with a Microsoft account that has no
    OpsMerge user yet joins through the invite sent to that address."""
    email = (email or "").strip().lower()
    if not email:
        return None
    with (unscoped("invite lookup by email at sign-in (the MSP is not known yet)"),
          multi_shard_allowed("an invite for this address may be in any MSP")):
        invite = (Invite.objects.select_related("msp")
                  .filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True,
                          expires_at__gt=timezone.now())
                  .order_by("-created_at").first())
    return invite


def acceptance_problem(invite: Invite) -> str | None:
    """Why `invite` cannot be accepted now, in words for the invitee; None if it can."""
    if invite.accepted_at is not None:
        return "This invite was already used. Sign in with your email and password."
    if invite.revoked_at is not None:
        return "This invite was withdrawn. Ask your administrator for a new one."
    if invite.is_expired:
        return "This invite has expired. Ask your administrator to send it again."
    existing = User.objects.filter(email=invite.email).first()
    if existing is not None and existing.msp_id == invite.msp_id:
        return f"{invite.email} is already on the {invite.msp.name} team. Sign in instead."
    if existing is not None:
        return (f"{invite.email} already has an OpsMerge account with another organisation. An account belongs "
                f"to one MSP only: ask {invite.msp.name} to invite a different address.")
    return None


def invite_accept(*, invite: Invite, first_name: str, last_name: str, password: str | None = None) -> User:
    """Create the invitee's user in the invite's MSP with the invite's role and tech
    groups, and close the invite. `password=None` (Microsoft sign-in) leaves the user
    without a usable password, and names may then be blank (the email's local part is
    used). Raises ValidationError with a message for the invitee."""
    first_name, last_name = " ".join((first_name or "").split()), " ".join((last_name or "").split())
    errors = {}
    if password is not None:  # the invite page asks for both names
        if not first_name:
            errors["first_name"] = "Enter your first name."
        if not last_name:
            errors["last_name"] = "Enter your last name."
    # Microsoft may leave out a name claim: use what it gave, else the address's local part.
    full_name = " ".join(p for p in (first_name, last_name) if p) or invite.email.split("@")[0]
    if len(full_name) > User._meta.get_field("full_name").max_length:
        errors["last_name"] = "That name is too long."
    msp = invite.msp
    user = User(email=invite.email, full_name=full_name, msp=msp, role=invite.role)
    if password is not None and "first_name" not in errors:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with msp_scope(msp), transaction.atomic():
        locked = Invite.objects.select_for_update().get(msp=msp, pk=invite.pk)
        problem = acceptance_problem(locked)
        if problem:
            raise ValidationError(problem)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the address was taken between the check and now
            raise ValidationError(f"{invite.email} already has an OpsMerge account.") from None
        groups = list(TechGroup.objects.filter(msp=msp, invitetechgroup__invite=locked))
        TechGroupMember.objects.bulk_create([TechGroupMember(msp=msp, group=g, user=user) for g in groups])
        locked.accepted_at, locked.accepted_user = timezone.now(), user
        locked.save(update_fields=["accepted_at", "accepted_user"])
        audit_record(msp=msp, actor=user, action="invite.accept", obj=locked,
                     changes={"user": user.email, "role": user.role, "tech_groups": sorted(g.name for g in groups),
                              "password": "set" if password is not None else "none (Microsoft sign-in)"})
    invite.accepted_at, invite.accepted_user = locked.accepted_at, user
    return user

