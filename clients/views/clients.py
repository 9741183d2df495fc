from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, ListView

from ..selectors import client_get, client_list


class ClientListView(LoginRequiredMixin, ListView):
    template_name = "clients/client_list.html"
    context_object_name = "clients"
    paginate_by = 50

    def get_queryset(self):
        return client_list(msp=self.request.msp).order_by("name")


class ClientDetailView(LoginRequiredMixin, DetailView):
    template_name = "clients/client_detail.html"
    context_object_name = "client"

    def get_object(self, queryset=None):
        return client_get(msp=self.request.msp, pk=self.kwargs["pk"])
