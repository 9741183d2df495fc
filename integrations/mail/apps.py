from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "integrations.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self):
        from opsmerge.registry import (
            BulkActionEntry,
            ListFilter,
            Panel,
            SettingsPage,
            bulk_actions,
            list_filters,
            panels,
            settings_pages,
        )

        from . import triage, views

        settings_pages.register(SettingsPage(
            "email", "Email", "settings:email", urls=_urls,
            description="Turn mail to your support mailbox into tickets (IMAP or a relay webhook)."))
        list_filters.register(ListFilter("tickets", "queue", "Queue", triage.QUEUE_CHOICES, triage.filter_queue,
                                         empty_label="All clients"))
        panels.register(Panel("tickets.Ticket", "mail", "mail/_ticket_email_card.html", triage.triage_panel,
                              slot="side"))
        bulk_actions.register(BulkActionEntry("clients", "announce", views.announcement_action, before="export"))


def _urls():
    from .views import settings_urls

    return settings_urls()
