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
