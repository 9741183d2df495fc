from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from opsmerge.nav import NavItem, register_nav_item

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension

        register_nav_item(NavItem("API keys", "api_keys:list", "plug", op="api_keys", namespaces=("api_keys",)))
