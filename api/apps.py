from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from opsmerge.registry import NavItem, SettingsPage, nav, settings_pages

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension

        nav.register(NavItem("API keys", "api_keys:list", "plug", op="api_keys", namespaces=("api_keys",)))
        settings_pages.register(SettingsPage("api_keys", "API keys", "api_keys:list", op="api_keys",
                                             description="Keys for scripts and integrations using the REST API."))
