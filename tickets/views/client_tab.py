"""The Tickets tab of the client page."""

from __future__ import annotations

from clients.views.tabs import ClientTabView
from sites.models import Site

from ..models import Ticket


class ClientTicketsTab(ClientTabView):
    template_name = "clients/tab_tickets.html"
    active_tab = "tickets"

    def tab_context(self, client):
        state = self.request.GET.get("state", "open")
        site_id = self.request.GET.get("site", "")
        tickets = Ticket.objects.filter(msp=self.msp, client=client).select_related("contact", "assigned_to", "site")
        if state == "open":
            tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
        if site_id.isdigit():
            tickets = tickets.filter(site_id=int(site_id))
        return {"tickets": tickets.order_by("-created_at")[:200], "state": state, "site_id": site_id,
                "sites": Site.objects.filter(msp=self.msp, client=client)}
