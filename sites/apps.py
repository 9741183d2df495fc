from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = "Sites"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import ClientCount, NavItem, SearchProvider, client_counts, nav, search_providers

        from .models import Site
        from .selectors import site_search, site_search_subtitle

        nav.register(NavItem("Sites", "sites:list", "pin", namespaces=("sites",)), before="activity")
        search_providers.register(SearchProvider("sites", "Sites", "pin", site_search, subtitle=site_search_subtitle,
                                                 more_url="sites:list"))
        client_counts.register(ClientCount(
            "site_count", lambda: count_subquery(Site.objects.all(), "client")))
