from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import ClientCount, NavItem, SearchProvider, client_counts, nav, search_providers

        from .models import Contact
        from .selectors import contact_search, contact_search_subtitle

        nav.register(NavItem("Contacts", "contacts:list", "users", namespaces=("contacts",)), before="activity")
        search_providers.register(SearchProvider("contacts", "Contacts", "users", contact_search,
                                                 subtitle=contact_search_subtitle, more_url="contacts:list"))
        client_counts.register(ClientCount(
            "contact_count", lambda: count_subquery(Contact.objects.filter(deleted_at__isnull=True), "client")))
