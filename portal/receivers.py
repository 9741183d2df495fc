"""Contacts tell the portal when a contact gains or loses portal access
(contacts.signals.portal_access_changed, sent after commit)."""

from django.dispatch import receiver

from contacts.signals import portal_access_changed
from opsmerge.tenancy import msp_scope


@receiver(portal_access_changed, dispatch_uid="portal.on_portal_access_changed")
def on_portal_access_changed(sender, *, msp, contact, granted: bool, actor=None, **kwargs):
    from .services import portal_access_revoke
    from .tasks import invite_send

    if granted:
        actor_id = actor.pk if getattr(actor, "_meta", None) and actor._meta.label == "accounts.User" else None
        invite_send.delay(msp.pk, contact.pk, actor_id)
    else:
        with msp_scope(msp):
            portal_access_revoke(msp=msp, contact=contact, actor=actor)
