"""Archive / restore / permanent delete pages (seed 003). Thin: the rules live in
clients.lifecycle, which re-checks everything on POST."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from accounts.stepup import step_up_required
from opsmerge.views.generic import MspView, ObjectActionView, ObjectListView

from ..lifecycle import client_archive, client_delete_impact, client_delete_permanently, client_restore
from ..models import Client
from ..selectors import client_get
from ..tables import ArchivedClientTable


class ArchivedClientListView(ObjectListView):
    """"Show archived": per-row Restore and (Super Admin) Delete permanently. There
    is no batch permanent delete by design."""

    template_name = "clients/archived_list.html"
    url_name = "clients:archived"
    table_class = ArchivedClientTable

    def get_queryset(self):
        qs = Client.objects.filter(msp=self.msp).archived().select_related("archived_by", "merged_into")
        q = self.request.GET.get("q", "").strip()
        return qs.filter(name__icontains=q) if q else qs


class ClientArchiveView(MspView):
    permission = Op.CLIENT_ARCHIVE

    def get(self, request, pk):
        client = client_get(msp=self.msp, pk=pk)
        return render(request, "clients/archive_confirm.html", {"client": client, "active_tab": "overview"})

    def post(self, request, pk):
        client = client_get(msp=self.msp, pk=pk)
        client_archive(msp=self.msp, client=client, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"Archived {client.name}. Restore it any time from Show archived.")
        return HttpResponseRedirect(reverse("clients:archived"))


class ClientRestoreView(ObjectActionView):
    write_permission = Op.CLIENT_ARCHIVE

    def get_object(self):
        return client_get(msp=self.msp, pk=self.kwargs["pk"])

    def perform(self, client) -> str:
        client_restore(msp=self.msp, client=client, actor=self.request.user)
        return f"Restored {client.name}."


class ClientDeleteView(MspView):
    """Stage 2: the full impact, and a button that stays disabled until the exact
    name is typed (static/js/typed-confirm.js); the service re-checks it all."""

    permission = Op.CLIENT_DELETE

    def render_page(self, client, errors=(), status=200):
        impact = client_delete_impact(msp=self.msp, client=client)
        return render(self.request, "clients/delete_confirm.html",
                      {"client": client, "impact": impact, "errors": list(errors), "active_tab": "overview"},
                      status=status)

    def get(self, request, pk):
        return self.render_page(client_get(msp=self.msp, pk=pk))

    def post(self, request, pk):
        client = client_get(msp=self.msp, pk=pk)
        if (step_up := step_up_required(request)) is not None:
            return step_up  # re-enter the second factor first; this POST is carried out after it
        try:
            client_delete_permanently(msp=self.msp, client_id=client.pk, actor=request.user,
                                      typed_name=request.POST.get("typed_name", ""))
        except ValidationError as exc:
            return self.render_page(client, errors=exc.messages, status=422)
        messages.success(request, f"{client.name} was permanently deleted.")
        return HttpResponseRedirect(reverse("clients:archived"))
