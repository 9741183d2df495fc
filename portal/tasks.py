"""Portal emails are sent by Celery workers: the sign-in page answers at once and in
the same time whether or not the address is known (no timing enumeration)."""

from celery import shared_task

from opsmerge.tasks import MspTask
from opsmerge.tenancy import current_msp


@shared_task(name="portal.signin_links_send")
def signin_links_send(email: str, ip: str = "") -> int:
    """Not an MspTask: an address may be a portal user at several MSPs; the service
    opens each MSP's scope itself."""
    from .services import signin_links_send as send

    return send(email=email, ip=ip)


@shared_task(base=MspTask, bind=True, name="portal.invite_send")
def invite_send(self, msp_id: int, contact_id: int, actor_id: int | None = None) -> bool:
    from accounts.models import User
    from contacts.models import Contact

    from .services import portal_invite_send

    msp = current_msp()
    contact = Contact.objects.select_related("client").filter(msp=msp, pk=contact_id).first()
    if contact is None:
        return False
    actor = User.objects.filter(msp=msp, pk=actor_id).first() if actor_id else None
    return portal_invite_send(msp=msp, contact=contact, actor=actor)


@shared_task(base=MspTask, bind=True, name="portal.ticket_reply_notify")
def ticket_reply_notify(self, msp_id: int, comment_id: int) -> bool:
    from .notifications import reply_notify_contact

    return reply_notify_contact(msp=current_msp(), comment_id=comment_id)


@shared_task(base=MspTask, bind=True, name="portal.quiet_hours_release_msp")
def quiet_hours_release_msp(self, msp_id: int) -> int:
    from .quiet_hours import held_release

    return held_release(msp=current_msp())


@shared_task(name="portal.quiet_hours_release")
def quiet_hours_release() -> int:
    """Beat: one release task per MSP with held replies now due."""
    from django.utils import timezone

    from opsmerge.tenancy import unscoped

    from .models import HeldNotification

    with unscoped("beat: find MSPs whose quiet-hours replies are due"):
        msp_ids = sorted(set(HeldNotification.objects.filter(sent_at__isnull=True, release_at__lte=timezone.now())
                             .values_list("msp_id", flat=True)))
    for msp_id in msp_ids:
        quiet_hours_release_msp.delay(msp_id)
    return len(msp_ids)
