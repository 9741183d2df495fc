"""Portal quiet hours per client (issue 17 item 3): a technician's reply is emailed
to the contact at once, unless it is quiet time in the client's time zone — then the
email is held (HeldNotification) and sent when quiet hours end, by the beat task
portal.quiet_hours_release. VIP contacts are exempt (seed 000)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opsmerge.audit import audit_record

from .models import HeldNotification, QuietHours


def now() -> datetime.datetime:
    """The current time (a seam for tests: quiet hours depend on the clock)."""
    return timezone.now()


def quiet_until(*, quiet: QuietHours, time_zone: str, now: datetime.datetime) -> datetime.datetime | None:
    """When the quiet window around `now` ends (aware), or None when it is not quiet."""
    zone = ZoneInfo(time_zone or "UTC")
    local = now.astimezone(zone)
    t = local.time()
    if quiet.start < quiet.end:
        quiet_now, end_day = quiet.start <= t < quiet.end, local.date()
    else:  # overnight: 20:00 → 08:00
        quiet_now = t >= quiet.start or t < quiet.end
        end_day = local.date() + datetime.timedelta(days=1) if t >= quiet.start else local.date()
    if not quiet_now:
        return None
    return datetime.datetime.combine(end_day, quiet.end, tzinfo=zone)


def reply_hold(*, msp, ticket, comment, at: datetime.datetime | None = None) -> bool:
    """Hold the reply email when the ticket's client is in quiet hours (not for VIPs)."""
    if not ticket.client_id or ticket.contact_id is None:
        return False
    contact = ticket.contact
    if contact.is_vip:
        return False
    quiet = (QuietHours.objects.filter(msp=msp, client_id=ticket.client_id, is_active=True)
             .select_related("client").first())
    if quiet is None:
        return False
    release_at = quiet_until(quiet=quiet, time_zone=quiet.client.time_zone, now=at or now())
    if release_at is None:
        return False
    HeldNotification.objects.bulk_create([HeldNotification(msp=msp, comment=comment, release_at=release_at)],
                                         ignore_conflicts=True)
    return True


@transaction.atomic
def quiet_hours_save(*, msp, client, actor, start, end, is_active: bool) -> QuietHours:
    if client.msp_id != msp.pk:
        raise ValidationError("Unknown client.")
    if start == end:
        raise ValidationError({"end": "Quiet hours must end at another time than they start."})
    quiet, _ = QuietHours.objects.update_or_create(msp=msp, client=client,
                                                   defaults={"start": start, "end": end, "is_active": is_active})
    audit_record(msp=msp, actor=actor, action="portal.quiet_hours", obj=client,
                 changes={"start": str(start), "end": str(end), "active": is_active})
    return quiet


def held_due(*, msp, at: datetime.datetime | None = None) -> list[HeldNotification]:
    return list(HeldNotification.objects.filter(msp=msp, sent_at__isnull=True, release_at__lte=at or now())
                .order_by("release_at", "pk")[:500])


def held_release(*, msp, at: datetime.datetime | None = None) -> int:
    """Send every held reply whose quiet hours ended; each is marked before it is
    queued, so a re-run never sends it twice."""
    from .tasks import ticket_reply_notify

    released = 0
    for held in held_due(msp=msp, at=at):
        if HeldNotification.objects.filter(msp=msp, pk=held.pk, sent_at__isnull=True).update(
                sent_at=timezone.now()):
            ticket_reply_notify.delay(msp.pk, held.comment_id)
            released += 1
    return released


def client_panel(*, msp, obj) -> dict:
    return {"quiet": QuietHours.objects.filter(msp=msp, client=obj).first()}
