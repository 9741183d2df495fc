"""The Assets tab of the client page."""

from __future__ import annotations

from clients.views.tabs import ClientTabView
from opsmerge.tables import sorted_by
from sites.models import Site

from ..models import Asset
from ..tables import AssetTable


class ClientAssetsTab(ClientTabView):
    template_name = "clients/tab_assets.html"
    active_tab = "assets"

    def tab_context(self, client):
        site_id = self.request.GET.get("site", "")
        assets = Asset.objects.filter(msp=self.msp, client=client, is_active=True).select_related("site", "contact")
        if site_id.isdigit():
            assets = assets.filter(site_id=int(site_id))
        sort = AssetTable.sort_of(self.request)
        assets = sorted_by(assets, AssetTable.sort_fields(), sort)[:500]
        return {"table": AssetTable(assets, request=self.request, sort=sort, exclude=("client",)),
                "sites": Site.objects.filter(msp=self.msp, client=client), "site_id": site_id}
