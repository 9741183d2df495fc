from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self):
        from opsmerge.registry import NavItem, nav

        nav.register(NavItem("Tickets", "tickets:list", "ticket", namespaces=("tickets",)), before="activity")
