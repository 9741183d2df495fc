from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client portal"

    def ready(self):
        from opsmerge.registry import Panel, panels

        from . import receivers  # noqa: F401 - connects the contacts, clients and tickets signals
        from .quiet_hours import client_panel

        panels.register(Panel("clients.Client", "portal_quiet_hours", "portal/_quiet_hours_card.html", client_panel))
