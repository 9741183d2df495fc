"""Bulk writes of the contacts list: tags (set-based) and mark inactive (through
contact_update, so portal access ends exactly as for a single contact)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.permissions import Op, require
from clients.services import tags_get_or_create
from opsmerge.models import AuditEvent
from opsmerge.request_context import current_request_id

from .models import Contact, ContactTag
from .services import contact_update


@transaction.atomic
def contacts_tag_add(*, msp, contact_ids: Iterable[int], names: Iterable[str], actor) -> int:
    require(actor, Op.BULK_EDIT)
    tags = tags_get_or_create(msp=msp, names=names)
    ids = sorted({int(pk) for pk in contact_ids})
    rows = list(Contact.objects.filter(msp=msp, pk__in=ids).alive().values_list("pk", "client_id", "client__name"))
    if not tags or not rows:
        return 0
    have = set(ContactTag.objects.filter(msp=msp, contact_id__in=[r[0] for r in rows], tag__in=tags)
               .values_list("contact_id", "tag_id"))
    new = [ContactTag(msp=msp, contact_id=pk, tag=t) for pk, _, _ in rows for t in tags if (pk, t.pk) not in have]
    ContactTag.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    changed = {link.contact_id for link in new}
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    request_id = current_request_id()
    names_added = [t.name for t in tags]
    AuditEvent.objects.bulk_create([
        AuditEvent(msp=msp, actor_id=actor_id, actor_label=str(actor), action="contact.tags_add", object_type="contact",
                   object_id=str(pk), client_id=client_id, client_name=(client_name or "")[:200],
                   changes={"tags_added": names_added}, request_id=request_id)
        for pk, client_id, client_name in rows if pk in changed
    ], batch_size=2000)
    return len(changed)


@transaction.atomic
def contacts_mark_inactive(*, msp, contact_ids: Iterable[int], actor) -> int:
    require(actor, Op.CONTACT_EDIT)
    ids = sorted({int(pk) for pk in contact_ids})
    contacts = Contact.objects.filter(msp=msp, pk__in=ids, is_active=True).alive().select_related("client")
    count = 0
    for contact in contacts:
        contact_update(msp=msp, contact=contact, actor=actor, is_active=False)
        count += 1
    return count
