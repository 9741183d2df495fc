"""Settings → Team: the MSP's staff users (issue 13, item 2).

Who may do what is the permission matrix (accounts.permissions): `Op.USERS` manages
the team; `Op.SUPER_ADMINS` is needed to grant the Super Admin role or to touch a
Super Admin at all. Nobody deactivates themselves or the MSP's last active Super
Admin, and nobody is ever deleted here: a user who leaves is deactivated, so the
history they authored keeps its author.

Deactivation ends access at once: `is_active=False` makes Django's ModelBackend
refuse the user on their next request (get_user → None), their tracked sessions
are deleted, and `user_deactivated` lets the API app revoke the keys they created.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q

from opsmerge.audit import audit_record
from opsmerge.tenancy import msp_get_or_404, unscoped

from .models import TechGroup, TechGroupMember, User
from .permissions import Op, require, user_can
from .roles import Role
from .sessions import sessions_end
from .signals import user_deactivated


def require_may_grant(actor, role: str) -> None:
    """Only a Super Admin may hand out the Super Admin role."""
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    if role == Role.SUPER_ADMIN:
        require(actor, Op.SUPER_ADMINS)


def grantable_roles(actor) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role if r != Role.SUPER_ADMIN or user_can(actor, Op.SUPER_ADMINS)]


def may_manage(actor, user: User) -> bool:
    """Whether `actor` may change `user` at all (for the page: services check again)."""
    return user_can(actor, Op.USERS) and (user.role != Role.SUPER_ADMIN or user_can(actor, Op.SUPER_ADMINS))


def _require_manageable(*, msp, actor, user: User) -> None:
    require(actor, Op.USERS)
    if user.msp_id != msp.pk:
        raise ValidationError("Unknown user.")
    if user.role == Role.SUPER_ADMIN:
        require(actor, Op.SUPER_ADMINS)


def _other_active_super_admins(*, msp, user: User) -> int:
    return User.objects.filter(msp=msp, role=Role.SUPER_ADMIN, is_active=True).exclude(pk=user.pk).count()


def user_authored_history(user) -> bool:
    """Whether `user` is the actor of any audit event: an MSP user's events are all in
    their own MSP (one shard); a platform admin's may be in any MSP."""
    from opsmerge.citus import multi_shard_allowed
    from opsmerge.models import AuditEvent

    with unscoped("does this user author history (before a delete)"):
        if user.msp_id:
            return AuditEvent.objects.filter(msp_id=user.msp_id, actor_id=user.pk).exists()
        with multi_shard_allowed("a platform admin's audit events may be in any MSP"):
            return AuditEvent.objects.filter(actor_id=user.pk).exists()


def refuse_deleting_authors(sender, instance, **kwargs) -> None:
    """pre_delete of User: history keeps its author, so its author is never deleted."""
    if instance.pk and user_authored_history(instance):
        raise ProtectedError(f"{instance} authored history and cannot be deleted; deactivate them instead.",
                             {instance})


def team_member_get(*, msp, pk) -> User:
    """A user of `msp` by id: 404 for missing and foreign alike."""
    return msp_get_or_404(User.objects.all(), msp=msp, pk=pk)


def team_list(*, msp):
    """The MSP's users, active first, with their tech groups (two queries)."""
    return (User.objects.filter(msp=msp).order_by("-is_active", "full_name", "email")
            .prefetch_related("tech_groups"))


def team_counts(*, msp) -> dict[str, int]:
    return User.objects.filter(msp=msp).aggregate(active=Count("pk", filter=Q(is_active=True)),
                                                  inactive=Count("pk", filter=Q(is_active=False)))


@transaction.atomic
def user_change_role(*, msp, actor, user: User, role: str) -> User:
    _require_manageable(msp=msp, actor=actor, user=user)
    require_may_grant(actor, role)
    if role == user.role:
        return user
    if user.role == Role.SUPER_ADMIN and user.is_active and not _other_active_super_admins(msp=msp, user=user):
        raise ValidationError({"role": f"{user} is the last active Super Admin. Make someone else Super Admin "
                                       "first."})
    if user.pk == actor.pk:
        raise ValidationError({"role": "You cannot change your own role. Ask another admin."})
    before = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit_record(msp=msp, actor=actor, action="user.role_change", obj=user, changes={"role": [before, role]})
    return user


@transaction.atomic
def user_set_tech_groups(*, msp, actor, user: User, groups) -> User:
    _require_manageable(msp=msp, actor=actor, user=user)
    groups = list(groups)
    if any(g.msp_id != msp.pk for g in groups):
        raise ValidationError({"tech_groups": "Unknown tech group."})
    before = sorted(TechGroup.objects.filter(msp=msp, techgroupmember__user=user).values_list("name", flat=True))
    TechGroupMember.objects.filter(msp=msp, user=user).exclude(group__in=groups).delete()
    TechGroupMember.objects.bulk_create([TechGroupMember(msp=msp, group=g, user=user) for g in groups],
                                        ignore_conflicts=True)
    after = sorted(g.name for g in groups)
    if before != after:
        audit_record(msp=msp, actor=actor, action="user.tech_groups", obj=user, changes={"tech_groups": [before, after]})
    return user


@transaction.atomic
def user_deactivate(*, msp, actor, user: User) -> User:
    """Deactivate `user`: no sign-in, their sessions end now, their API keys are revoked."""
    _require_manageable(msp=msp, actor=actor, user=user)
    if user.pk == actor.pk:
        raise ValidationError("You cannot deactivate yourself. Ask another admin.")
    if not user.is_active:
        return user
    if user.role == Role.SUPER_ADMIN and not _other_active_super_admins(msp=msp, user=user):
        raise ValidationError(f"{user} is the last active Super Admin and cannot be deactivated.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = sessions_end(user)
    audit_record(msp=msp, actor=actor, action="user.deactivate", obj=user,
                 changes={"is_active": [True, False], "sessions_ended": ended})
    user_deactivated.send(sender=User, msp=msp, user=user, actor=actor)
    return user


@transaction.atomic
def user_reactivate(*, msp, actor, user: User) -> User:
    """Let `user` sign in again. Revoked API keys stay revoked; sessions start fresh."""
    _require_manageable(msp=msp, actor=actor, user=user)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(msp=msp, actor=actor, action="user.reactivate", obj=user, changes={"is_active": [False, True]})
    return user


def user_sign_out_everywhere(*, msp, actor, user: User, keep_session_key: str | None = None) -> int:
    """End every session of `user` (an admin acting on a team member, or the user
    themselves, who keeps `keep_session_key`, the session they are using)."""
    if actor.pk != user.pk:
        _require_manageable(msp=msp, actor=actor, user=user)
    elif user.msp_id != msp.pk:
        raise ValidationError("Unknown user.")
    ended = sessions_end(user, keep_session_key=keep_session_key)
    audit_record(msp=msp, actor=actor, action="user.sign_out_everywhere", obj=user,
                 changes={"sessions_ended": ended})
    return ended
