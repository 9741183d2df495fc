"""Tech groups (Settings → Tech groups): teams of technicians clients are linked to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import Op, require
from opsmerge.audit import audit_record, diff, snapshot

from .models import TechGroup, TechGroupMember, User


def _validate(*, msp, group: TechGroup) -> None:
    group.name = " ".join(group.name.split())
    if not group.name:
        raise ValidationError({"name": "A tech group needs a name."})
    clash = TechGroup.objects.filter(msp=msp, name__iexact=group.name)
    if group.pk:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": f"There already is a tech group called {group.name}."})


def _set_members(*, msp, group: TechGroup, members) -> None:
    members = list(members)
    if any(u.msp_id != msp.pk for u in members):
        raise ValidationError({"members": "Unknown technician."})
    TechGroupMember.objects.filter(msp=msp, group=group).exclude(user__in=members).delete()
    TechGroupMember.objects.bulk_create([TechGroupMember(msp=msp, group=group, user=u) for u in members],
                                        ignore_conflicts=True)


@transaction.atomic
def tech_group_create(*, msp, actor, name: str, description: str = "", members=()) -> TechGroup:
    require(actor, Op.SETTINGS)
    group = TechGroup(msp=msp, name=name, description=description)
    _validate(msp=msp, group=group)
    group.save()
    _set_members(msp=msp, group=group, members=members)
    audit_record(msp=msp, actor=actor, action="techgroup.create", obj=group,
                 changes={**snapshot(group), "members": sorted(str(u) for u in members)})
    return group


@transaction.atomic
def tech_group_update(*, msp, group: TechGroup, actor, name: str, description: str = "",
                      members: list[User] | None = None) -> TechGroup:
    require(actor, Op.SETTINGS)
    if group.msp_id != msp.pk:
        raise ValidationError("Unknown tech group.")
    before = snapshot(group)
    group.name, group.description = name, description
    _validate(msp=msp, group=group)
    group.save()
    if members is not None:
        _set_members(msp=msp, group=group, members=members)
    changes = diff(before, snapshot(group))
    if changes:
        audit_record(msp=msp, actor=actor, action="techgroup.update", obj=group, changes=changes)
    return group
