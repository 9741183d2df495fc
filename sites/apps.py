from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = "Sites"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import (
            ClientTab,
            NavItem,
            OnboardingStep,
            RelatedCount,
            SearchProvider,
            client_tabs,
            nav,
            onboarding_steps,
            related_counts,
            search_providers,
        )

        from .models import Site
        from .selectors import site_search, site_search_subtitle
        from .services import site_onboard

        nav.register(NavItem("Sites", "sites:list", "pin", namespaces=("sites",)), before="activity")
        search_providers.register(SearchProvider("sites", "Sites", "pin", site_search, subtitle=site_search_subtitle,
                                                 more_url="sites:list"))
        client_tabs.register(ClientTab("sites", "Sites", "clients:sites", view="sites.views.client_tab.ClientSitesTab",
                                       route="sites"), before="documents")
        related_counts.register(RelatedCount("clients.Client", "site_count",
                                             lambda: count_subquery(Site.objects.all(), "client")))
        onboarding_steps.register(OnboardingStep("hq_site", site_onboard))
