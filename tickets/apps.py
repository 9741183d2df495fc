from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self):
        from opsmerge.db import count_subquery
        from opsmerge.registry import ClientCount, NavItem, client_counts, nav

        from .models import Ticket

        nav.register(NavItem("Tickets", "tickets:list", "ticket", namespaces=("tickets",)), before="activity")
        def open_tickets():
            return count_subquery(Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES), "client")

        client_counts.register(ClientCount("open_ticket_count", open_tickets, on_list=True))
