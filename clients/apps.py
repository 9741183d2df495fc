from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients"

    def ready(self):
        from django.urls import path

        from opsmerge.registry import NavItem, SearchProvider, SettingsPage, nav, search_providers, settings_pages

        from .merge import register_own_merge_steps
        from .models import CustomField
        from .selectors import client_search, client_search_subtitle
        from .tabs import register_built_in_tabs

        register_built_in_tabs()
        register_own_merge_steps()
        nav.register(NavItem("Clients", "clients:list", "building", namespaces=("clients",)), before="activity")
        search_providers.register(SearchProvider("clients", "Clients", "building", client_search,
                                                 subtitle=client_search_subtitle, more_url="clients:list"))

        def urls():
            from .views import settings as v

            return [
                path("custom-fields/", v.custom_field_list, name="custom_fields"),
                path("custom-fields/new/", v.CustomFieldEditView.as_view(), name="custom_field_create"),
                path("custom-fields/<int:custom_field_pk>/", v.CustomFieldEditView.as_view(),
                     name="custom_field_edit"),
                path("custom-fields/<int:custom_field_pk>/delete/", v.CustomFieldDeleteView.as_view(),
                     name="custom_field_delete"),
            ]

        settings_pages.register(SettingsPage(
            "custom_fields", "Custom fields", "settings:custom_fields",
            description="Extra properties on clients and contacts, shown on forms, pages and list filters.",
            count=lambda *, msp: CustomField.objects.filter(msp=msp).count(), urls=urls), before="tech_groups")
