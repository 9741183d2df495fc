"""Announcements to clients' primary contacts (issue 17 item 3). The clients are a
selection of the clients list — its checkboxes, or "everything matching" its filters
(the bulk bar resolves that with the list's own filterset), so the set is exactly
what the list shows. Archived clients are skipped even when selected; deleted,
inactive and address-less contacts never receive it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.permissions import Op, require
from clients.models import Client
from contacts.models import Contact
from opsmerge.audit import audit_record
from opsmerge.emails import send_templated

from .models import Announcement, AnnouncementRecipient

log = logging.getLogger("opsmerge.mail")
SEND_BATCH = 200


def primary_recipients(*, msp, client_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(contact id, address) of the live, active primary contacts of the open clients."""
    rows = (Contact.objects.filter(msp=msp, client_id__in=list(client_ids), is_primary=True, is_active=True,
                                   deleted_at__isnull=True)
            .exclude(email="").exclude(client__status=Client.Status.ARCHIVED)
            .annotate(email_ci=Lower("email")).order_by("email_ci", "pk").values_list("pk", "email_ci"))
    seen, out = set(), []
    for pk, email in rows:
        if email not in seen:
            seen.add(email)
            out.append((pk, email))
    return out


@transaction.atomic
def announcement_create(*, msp, client_ids: Iterable[int], subject: str, body: str, actor) -> Announcement:
    require(actor, Op.BULK_EDIT)
    if not subject.strip() or not body.strip():
        raise ValidationError("Give the announcement a subject and a message.")
    client_ids = list(client_ids)
    recipients = primary_recipients(msp=msp, client_ids=client_ids)
    if not recipients:
        raise ValidationError("None of these clients has an active primary contact with an email address.")
    announcement = Announcement.objects.create(msp=msp, subject=subject.strip()[:200], body=body,
                                               client_count=len(client_ids), created_by=actor)
    AnnouncementRecipient.objects.bulk_create(
        [AnnouncementRecipient(msp=msp, announcement=announcement, contact_id=pk, email=email)
         for pk, email in recipients], batch_size=2000)
    audit_record(msp=msp, actor=actor, action="mail.announcement", obj=announcement,
                 changes={"subject": announcement.subject, "clients": len(client_ids), "recipients": len(recipients)})
    from .tasks import announcement_send_task

    pk = announcement.pk

    def enqueue():
        try:
            announcement_send_task.delay(msp.pk, pk)
        except Exception:
            log.exception("announcement %s could not be queued", pk)

    transaction.on_commit(enqueue)
    return announcement


def announcement_send(*, msp, announcement_id: int) -> int:
    """Send to every recipient not yet sent to (resumable); returns how many were sent."""
    announcement = Announcement.objects.filter(msp=msp, pk=announcement_id).first()
    if announcement is None:
        return 0
    sent = 0
    while True:
        batch = list(AnnouncementRecipient.objects.filter(msp=msp, announcement=announcement, sent_at__isnull=True)
                     .order_by("pk")[:SEND_BATCH])
        if not batch:
            return sent
        for recipient in batch:
            send_templated(template="mail/email/announcement", to=[recipient.email],
                           context={"msp": msp, "announcement": announcement},
                           reply_to=[msp.support_email] if msp.support_email else None)
            AnnouncementRecipient.objects.filter(msp=msp, pk=recipient.pk).update(sent_at=timezone.now())
            sent += 1
