from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        from accounts.signals import user_deactivated
        from opsmerge.registry import NavItem, SettingsPage, nav, settings_pages

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .services import api_keys_revoke_for_deactivated_user

        def revoke_keys(sender, *, msp, user, actor, **kwargs):
            api_keys_revoke_for_deactivated_user(msp=msp, user=user, actor=actor)

        user_deactivated.connect(revoke_keys, dispatch_uid="api.revoke_keys_of_deactivated_user", weak=False)

        nav.register(NavItem("API keys", "api_keys:list", "plug", op="api_keys", namespaces=("api_keys",)))
        settings_pages.register(SettingsPage("api_keys", "API keys", "api_keys:list", op="api_keys",
                                             description="Keys for scripts and integrations using the REST API."))
