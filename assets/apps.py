from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self):
        from opsmerge.registry import NavItem, SearchProvider, nav, search_providers

        from .selectors import asset_search, asset_search_subtitle

        nav.register(NavItem("Assets", "assets:list", "laptop", namespaces=("assets",)), before="activity")
        search_providers.register(SearchProvider("assets", "Assets", "laptop", asset_search, subtitle=asset_search_subtitle,
                                                 more_url="assets:list"))
