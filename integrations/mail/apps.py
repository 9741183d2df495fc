from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "integrations.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self):
        from opsmerge.registry import SettingsPage, settings_pages

        settings_pages.register(SettingsPage(
            "email", "Email", "settings:email", urls=_urls,
            description="Turn mail to your support mailbox into tickets (IMAP or a relay webhook)."))


def _urls():
    from .views import settings_urls

    return settings_urls()
