from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    verbose_name = "Sites"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import (
            ClientTab,
            MergeStep,
            NavItem,
            OnboardingStep,
            RelatedCount,
            SearchProvider,
            client_merge_steps,
            client_tabs,
            nav,
            onboarding_steps,
            related_counts,
            search_providers,
        )

        from . import client_merge as merge
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
        client_merge_steps.register(MergeStep("hq_site", "HQ site", run=merge.hq_run), before="business_hours")
        client_merge_steps.register(MergeStep("site_names", "Site names", run=merge.names_run,
                                              preview=merge.names_preview), before="business_hours")
