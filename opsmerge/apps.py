from django.apps import AppConfig


class OpsMergeConfig(AppConfig):
    """The core: registries, tenancy, generic views, audit log. It imports no domain
    app; its own pages (activity, settings) register here like any app's."""

    name = "opsmerge"
    verbose_name = "OpsMerge core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import citus, schema
        from .registry import NavItem, nav

        # the database side of tenancy (composite keys), after every migrate and flush;
        # then, on Citus, the distribution of what is new (in that order)
        post_migrate.connect(schema.on_post_migrate, sender=self, dispatch_uid="opsmerge-tenant-keys")
        post_migrate.connect(citus.on_post_migrate, sender=self, dispatch_uid="opsmerge-citus")

        nav.register(NavItem("Activity", "activity", "activity", op="audit_view", namespaces=("activity",)))
        nav.register(NavItem("Settings", "settings:index", "settings", op="settings", section="Admin",
                             namespaces=("settings",)))
