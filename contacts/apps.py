from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from opsmerge.registry import (
            ClientTab,
            DeleteGate,
            MergeStep,
            NavItem,
            OnboardingStep,
            Panel,
            RelatedCount,
            SearchProvider,
            client_delete_gates,
            client_merge_steps,
            client_tabs,
            nav,
            onboarding_steps,
            panels,
            related_counts,
            search_providers,
        )

        from . import client_merge as merge
        from . import panels as p
        from .selectors import contact_search, contact_search_subtitle
        from .services import contact_onboard

        nav.register(NavItem("Contacts", "contacts:list", "users", namespaces=("contacts",)), before="activity")
        search_providers.register(SearchProvider("contacts", "Contacts", "users", contact_search,
                                                 subtitle=contact_search_subtitle, more_url="contacts:list"))
        client_tabs.register(ClientTab("contacts", "Contacts", "clients:contacts",
                                       view="contacts.views.client_tab.ClientContactsTab", route="contacts"),
                             before="documents")
        related_counts.register(RelatedCount("clients.Client", "contact_count", p.client_contact_count))
        panels.register(Panel("clients.Client", "contacts", "contacts/_client_stat.html", p.client_stat, slot="stats"))
        onboarding_steps.register(OnboardingStep("primary_contact", contact_onboard))
        client_delete_gates.register(DeleteGate("contact_email_clash", p.email_clash_gate))
        client_merge_steps.register(MergeStep(
            "duplicate_contacts", "Contacts with the same email", run=merge.duplicates_run,
            preview=merge.duplicates_preview, after=merge.duplicates_after), before="primary_domain")
        client_merge_steps.register(MergeStep(
            "primary_contact", "Primary contact", run=merge.primary_run, preview=merge.primary_preview,
            clean_choices=merge.primary_clean_choices), before="primary_domain")
