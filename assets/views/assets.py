from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import ObjectDetailView, ObjectEditView, ObjectListView

from ..filtersets import AssetFilterSet
from ..forms import AssetForm
from ..models import Asset
from ..selectors import asset_list
from ..tables import AssetTable


class AssetListView(ObjectListView):
    template_name = "assets/asset_list.html"
    url_name = "assets:list"
    filterset_class = AssetFilterSet
    table_class = AssetTable

    def get_queryset(self):
        return asset_list(msp=self.msp)

    def filtered_queryset(self, data):
        queryset, filterset = super().filtered_queryset(data)
        if "is_active" not in data:  # retired devices only when asked for
            queryset = queryset.filter(is_active=True)
        return queryset, filterset


class AssetDetailView(ObjectDetailView):
    template_name = "assets/asset_detail.html"
    context_object_name = "asset"

    def get_object(self):
        return msp_get_or_404(Asset.objects.select_related("client", "site", "contact", "m365_tenant"), msp=self.msp,
                              pk=self.kwargs["pk"])


class AssetEditView(ObjectEditView):
    form_class = AssetForm
    permission = Op.CLIENT_EDIT

    def get_object(self):
        return msp_get_or_404(Asset.objects.select_related("client"), msp=self.msp, pk=self.kwargs["pk"])
