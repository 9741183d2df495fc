from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client portal"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the contacts, clients and tickets signals
