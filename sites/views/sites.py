from django.urls import reverse

from accounts.permissions import Op
from clients.models import Client
from opsmerge.registry import annotations_for
from opsmerge.views.generic import ObjectDetailView, ObjectEditView, ObjectListView

from ..filtersets import SiteFilterSet
from ..forms import SiteForm
from ..models import Site
from ..selectors import site_get
from ..tables import SiteTable


class SiteListView(ObjectListView):
    template_name = "sites/site_list.html"
    url_name = "sites:list"
    filterset_class = SiteFilterSet
    table_class = SiteTable

    def get_queryset(self):
        return Site.objects.filter(msp=self.msp).exclude(client__status=Client.Status.ARCHIVED).select_related(
            "client").annotate(**annotations_for("sites.Site", on_list=True))


class SiteDetailView(ObjectDetailView):
    template_name = "sites/site_detail.html"
    context_object_name = "site"

    def get_object(self):
        return site_get(msp=self.msp, pk=self.kwargs["pk"])


class SiteCreateView(ObjectEditView):
    form_class = SiteForm
    template_name = "sites/site_form.html"
    permission = Op.CLIENT_EDIT
    heading = "New site"
    success_message = "Site {object} created."

    def get_initial(self):
        client = self.request.GET.get("client", "")
        if client.isdigit():
            return {"client": Client.objects.filter(msp=self.msp, pk=int(client)).not_archived().first()}
        return {}

    def get_success_url(self, obj):
        return reverse("clients:sites", kwargs={"pk": obj.client_id})

    def get_cancel_url(self):
        return self.safe_next(reverse("sites:list"))


class SiteEditView(ObjectEditView):
    form_class = SiteForm
    template_name = "sites/site_form.html"
    permission = Op.CLIENT_EDIT

    def get_object(self):
        return site_get(msp=self.msp, pk=self.kwargs["pk"])
