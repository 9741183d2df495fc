from django.apps import AppConfig


class OpsMergeConfig(AppConfig):
    """The core: registries, tenancy, generic views, audit log. It imports no domain
    app; its own pages (activity, settings) register here like any app's."""

    name = "opsmerge"
    verbose_name = "OpsMerge core"

    def ready(self):
        from .registry import NavItem, nav

        nav.register(NavItem("Activity", "activity", "activity", op="audit_view", namespaces=("activity",)))
        nav.register(NavItem("Settings", "settings:index", "settings", op="settings", section="Admin",
                             namespaces=("settings",)))
