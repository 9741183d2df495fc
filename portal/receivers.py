"""Contacts tell the portal when a contact gains or loses portal access
(contacts.signals.portal_access_changed), clients when a client is archived
(clients.signals.client_archive_changed), tickets when a message is added to a
conversation (tickets.signals.ticket_comment_added); all are sent after commit."""

import logging

from django.dispatch import receiver

from clients.signals import client_archive_changed
from contacts.signals import portal_access_changed
from opsmerge.tenancy import msp_scope
from tickets.signals import ticket_comment_added

log = logging.getLogger("opsmerge.portal")


@receiver(portal_access_changed, dispatch_uid="portal.on_portal_access_changed")
def on_portal_access_changed(sender, *, msp, contact, granted: bool, actor=None, **kwargs):
    from .services import portal_access_revoke
    from .tasks import invite_send

    if granted:
        actor_id = actor.pk if getattr(actor, "_meta", None) and actor._meta.label == "accounts.User" else None
        try:
            invite_send.delay(msp.pk, contact.pk, actor_id)
        except Exception:  # the contact is saved; a broker outage must not turn that into a 500
            log.exception("portal invite for contact %s could not be queued; re-send it from the contact page",
                          contact.pk)
    else:
        with msp_scope(msp):
            portal_access_revoke(msp=msp, contact=contact, actor=actor)


@receiver(client_archive_changed, dispatch_uid="portal.on_client_archive_changed")
def on_client_archive_changed(sender, *, msp, client, archived: bool, actor=None, **kwargs):
    """Archived: "Portal access is paused" — open sessions end now, unused links die.
    Restored: nothing to do; contacts sign in again with a new link."""
    from .services import portal_client_paused

    if archived:
        with msp_scope(msp):
            portal_client_paused(msp=msp, client=client, actor=actor)


@receiver(ticket_comment_added, dispatch_uid="portal.on_ticket_comment_added")
def on_ticket_comment_added(sender, *, msp, ticket, comment, **kwargs):
    """A technician's public reply is emailed to the ticket's contact (a worker sends
    it), or held until the client's quiet hours end (portal.quiet_hours). The reply
    is saved; a broker outage is logged, never a 500."""
    from .quiet_hours import reply_hold
    from .tasks import ticket_reply_notify

    if comment.author_user_id is None or comment.is_internal or not ticket.contact_id:
        return
    with msp_scope(msp):
        if reply_hold(msp=msp, ticket=ticket, comment=comment):
            return  # quiet hours in the client's time zone: sent when they end
    try:
        ticket_reply_notify.delay(msp.pk, comment.pk)
    except Exception:
        log.exception("email task %s%s could not be queued", ticket_reply_notify.name, (msp.pk, comment.pk))
