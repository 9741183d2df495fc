from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from opsmerge.registry import NavItem, SearchProvider, nav, search_providers

        from .selectors import contact_search, contact_search_subtitle

        nav.register(NavItem("Contacts", "contacts:list", "users", namespaces=("contacts",)), before="activity")
        search_providers.register(SearchProvider("contacts", "Contacts", "users", contact_search,
                                                 subtitle=contact_search_subtitle, more_url="contacts:list"))
