from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "integrations.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self):
        from opsmerge.registry import Exporter, NavItem, exporters, nav

        from .exporting import export_response

        nav.register(NavItem("Imports", "imports:list", "upload", op="import", section="Data",
                             namespaces=("imports",)), before="activity")
        exporters.register(Exporter("spreadsheet", export_response))
