from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self):
        from opsmerge.registry import (
            ClientTab,
            NavItem,
            Panel,
            RelatedCount,
            SearchProvider,
            client_tabs,
            nav,
            panels,
            related_counts,
            search_providers,
        )

        from . import panels as p
        from .selectors import asset_search, asset_search_subtitle

        nav.register(NavItem("Assets", "assets:list", "laptop", namespaces=("assets",)), before="activity")
        search_providers.register(SearchProvider("assets", "Assets", "laptop", asset_search, subtitle=asset_search_subtitle,
                                                 more_url="assets:list"))
        client_tabs.register(ClientTab("assets", "Assets", "clients:assets",
                                       view="assets.views.client_tab.ClientAssetsTab", route="assets"),
                             before="documents")
        related_counts.register(RelatedCount("clients.Client", "asset_count", lambda: p.active_assets_by("client"),
                                             on_list=True))
        related_counts.register(RelatedCount("contacts.Contact", "asset_count", lambda: p.active_assets_by("contact"),
                                             on_list=True))
        related_counts.register(RelatedCount("sites.Site", "asset_count", lambda: p.active_assets_by("site"),
                                             on_list=True))
        panels.register(Panel("clients.Client", "assets", "assets/_client_stat.html", slot="stats"))
        panels.register(Panel("contacts.Contact", "assets", "assets/_assets_card.html", p.contact_assets))
        panels.register(Panel("sites.Site", "assets", "assets/_assets_card.html", p.site_assets))
