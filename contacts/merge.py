"""Merge duplicate contacts of one client: pick the winner, references follow.

Every foreign key to Contact (tickets, comments, assets, organisation members,
tags, and whatever other apps add) is repointed to the winner with one UPDATE per
kind; the losers are soft-deleted with `merged_into` set, so history still says
who they were. The winner keeps its own details, fills blanks from the losers, and
gains their role flags (primary, billing, portal, technical, VIP).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.permissions import Op, require
from clients.relations import movable_relations
from opsmerge.audit import audit_record, diff, snapshot

from .client_merge import CONTACT_NOT_MOVED, ROLE_FLAGS
from .models import Contact, ContactTag
from .services import _after_portal_change, _take_primary

FILLABLE = ("first_name", "last_name", "email", "phone", "mobile", "job_title", "department", "office")


@transaction.atomic
def contacts_merge(*, msp, winner: Contact, losers: list[Contact], actor) -> Contact:
    require(actor, Op.CONTACT_MERGE)
    ids = sorted({c.pk for c in losers} - {winner.pk})
    if not ids:
        raise ValidationError({"losers": "Pick at least one other contact to merge into the winner."})
    locked = {c.pk: c for c in Contact.objects.select_for_update().filter(msp=msp, pk__in=[winner.pk, *ids])
              .order_by("pk")}
    if len(locked) != len(ids) + 1 or any(c.deleted_at for c in locked.values()):
        raise ValidationError("A contact of this merge was deleted or does not exist.")
    winner = locked[winner.pk]
    losers = [locked[pk] for pk in ids]
    if any(c.client_id != winner.client_id for c in losers):
        raise ValidationError({"losers": "Only contacts of the same client can be merged."})
    before = snapshot(winner)
    was_portal_user = winner.is_portal_user and winner.is_active

    moved = {}
    for rel in movable_relations(Contact):
        if rel.key in CONTACT_NOT_MOVED:
            continue
        rows = rel.model._default_manager.filter(msp=msp, **{f"{rel.field.name}__in": ids})
        if rel.model is ContactTag:
            rows.filter(tag__in=ContactTag.objects.filter(msp=msp, contact=winner).values("tag")).delete()
            keep = {}
            for pk, tag_id in rows.order_by("pk").values_list("pk", "tag_id"):
                keep.setdefault(tag_id, pk)
            rows.exclude(pk__in=keep.values()).delete()
        n = rows.update(**{rel.field.name: winner})
        if n:
            moved[rel.label] = moved.get(rel.label, 0) + n

    Contact.objects.filter(msp=msp, pk__in=ids).update(
        deleted_at=timezone.now(), deleted_by=actor, merged_into=winner, is_primary=False)
    for flag in ROLE_FLAGS:
        if any(getattr(c, flag) for c in losers):
            setattr(winner, flag, True)
    for name in FILLABLE:
        if not getattr(winner, name):
            setattr(winner, name, next((getattr(c, name) for c in losers if getattr(c, name)), ""))
    if any(c.is_primary for c in losers) and not winner.is_primary:
        winner.is_primary = True
        _take_primary(msp=msp, contact=winner)
    winner.save()
    audit_record(msp=msp, actor=actor, action="contact.merge", obj=winner,
                 changes={**diff(before, snapshot(winner)), "merged": [c.display_name for c in losers],
                          "merged_ids": ids, "moved": moved})
    now = timezone.now()
    for loser in losers:
        loser.deleted_at = now
        audit_record(msp=msp, actor=actor, action="contact.merged_into", obj=loser,
                     changes={"merged_into_id": [None, winner.pk]})
        _after_portal_change(msp=msp, contact=loser, was_portal_user=loser.is_portal_user and loser.is_active,
                             actor=actor)
    _after_portal_change(msp=msp, contact=winner, was_portal_user=was_portal_user, actor=actor)
    return winner
