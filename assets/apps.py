from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import ClientCount, NavItem, SearchProvider, client_counts, nav, search_providers

        from .models import Asset
        from .selectors import asset_search, asset_search_subtitle

        nav.register(NavItem("Assets", "assets:list", "laptop", namespaces=("assets",)), before="activity")
        search_providers.register(SearchProvider("assets", "Assets", "laptop", asset_search, subtitle=asset_search_subtitle,
                                                 more_url="assets:list"))
        client_counts.register(ClientCount(
            "asset_count", lambda: count_subquery(Asset.objects.filter(is_active=True), "client"), on_list=True))
