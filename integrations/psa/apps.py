from django.apps import AppConfig


class PsaConfig(AppConfig):
    name = "integrations.psa"
    label = "psa"
    verbose_name = "PSA integrations"

    def ready(self):
        from .connectors import load_all

        load_all()
