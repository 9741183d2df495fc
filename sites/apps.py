from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = "Sites"

    def ready(self):
        from opsmerge.registry import NavItem, SearchProvider, nav, search_providers

        from .selectors import site_search, site_search_subtitle

        nav.register(NavItem("Sites", "sites:list", "pin", namespaces=("sites",)), before="activity")
        search_providers.register(SearchProvider("sites", "Sites", "pin", site_search, subtitle=site_search_subtitle,
                                                 more_url="sites:list"))
