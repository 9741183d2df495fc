"""The Assets tab of the client page."""

from __future__ import annotations

from clients.views.tabs import ClientTabView
from sites.models import Site

from ..models import Asset


class ClientAssetsTab(ClientTabView):
    template_name = "clients/tab_assets.html"
    active_tab = "assets"

    def tab_context(self, client):
        site_id = self.request.GET.get("site", "")
        assets = Asset.objects.filter(msp=self.msp, client=client, is_active=True).select_related("site", "contact")
        if site_id.isdigit():
            assets = assets.filter(site_id=int(site_id))
        return {"assets": assets.order_by("name", "pk")[:500], "sites": Site.objects.filter(msp=self.msp, client=client),
                "site_id": site_id}
