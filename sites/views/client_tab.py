"""The Sites tab of the client page."""

from __future__ import annotations

from clients.views.tabs import ClientTabView
from opsmerge.registry import annotations_for

from ..models import Site


class ClientSitesTab(ClientTabView):
    template_name = "clients/tab_sites.html"
    active_tab = "sites"

    def tab_context(self, client):
        return {"sites": Site.objects.filter(msp=self.msp, client=client)
                .annotate(**annotations_for("sites.Site", on_list=True))}
