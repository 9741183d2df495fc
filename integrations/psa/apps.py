from django.apps import AppConfig
from django.db.models.signals import post_save


class PsaConfig(AppConfig):
    name = "integrations.psa"
    label = "psa"
    verbose_name = "PSA integrations"

    def ready(self):
        from clients.signals import client_archive_changed
        from tickets.models import Ticket

        from .connectors import load_all

        load_all()
        client_archive_changed.connect(_archive_changed, dispatch_uid="psa-archive-changed")
        post_save.connect(_ticket_saved, sender=Ticket, dispatch_uid="psa-ticket-created")
        from . import registrations

        registrations.register()


def _archive_changed(sender, msp, client, archived, **kwargs):
    from .services import client_archive_changed

    client_archive_changed(msp=msp, client=client, archived=archived)


def _ticket_saved(sender, instance, created, raw=False, **kwargs):
    """A ticket raised in OpsMerge (portal or technician) for a linked client is
    created in the PSA right after commit (the sync also catches up any it missed)."""
    if raw or not created or not instance.client_id:
        return
    from .services import ticket_created

    ticket_created(ticket=instance)
