"""Merge pages: pick the target and decide conflicts (preview), follow the job,
undo from the activity tab."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, ObjectActionView, ObjectDetailView

from ..merge import (
    MERGEABLE_FIELDS,
    client_merge_can_undo,
    client_merge_preview,
    client_merge_start,
    client_merge_undo,
    merge_progress,
)
from ..models import Client, ClientMerge
from ..selectors import client_get_many, client_pickable

PICKER_LIMIT = 20


def merged_client_redirect(*, msp, pk, url_name: str):
    """Old URLs of a merged-away client lead to the client it was merged into
    (following chains of merges). None when `pk` was not merged."""
    seen = set()
    current = Client.objects.filter(msp=msp, pk=pk).values_list("merged_into_id", flat=True).first()
    target = None
    while current and current not in seen:
        seen.add(current)
        target = current
        current = Client.objects.filter(msp=msp, pk=current).values_list("merged_into_id", flat=True).first()
    if target is None:
        return None
    return HttpResponseRedirect(reverse(url_name, kwargs={"pk": target}))


def _ids(values) -> list[int]:
    out = []
    for value in values:
        for part in str(value).split(","):
            if part.strip().isdigit() and int(part) not in out:
                out.append(int(part))
    return out


class ClientMergeView(MspView):
    """GET ?ids=1&ids=2[&target=1]: the preview; POST: start the job."""

    permission = Op.CLIENT_MERGE

    def clients(self, data):
        ids = _ids(data.getlist("ids"))
        clients = client_get_many(msp=self.msp, pks=ids)
        target_id = _ids([data.get("target", "")])
        target = next((c for c in clients if target_id and c.pk == target_id[0]), clients[0] if clients else None)
        return target, [c for c in clients if target is not None and c.pk != target.pk]

    def render_preview(self, target, sources, errors=(), status=200):
        context = {"target": target, "sources": sources, "errors": list(errors), "clients": [target, *sources]}
        if target is not None and sources:
            try:
                context["preview"] = client_merge_preview(msp=self.msp, target=target, sources=sources)
            except ValidationError as exc:
                context["errors"] += exc.messages
        return render(self.request, "clients/merge_preview.html", context, status=status)

    def get(self, request):
        target, sources = self.clients(request.GET)
        if target is not None and not sources:  # "Merge with…" from a client's page
            return self.render_picker(target, request.GET.get("q", "").strip()[:100])
        return self.render_preview(target, sources)

    def render_picker(self, client, q: str):
        """Choose the other client: likely duplicates first, or a name/domain search."""
        from ..duplicates import likely_duplicates
        from ..filtersets import ClientFilterSet

        others = client_pickable(msp=self.msp).exclude(pk=client.pk)
        matches = ClientFilterSet({"q": q}, queryset=others, request=self.request).qs[:PICKER_LIMIT] if q else []
        domains = tuple(client.domains.values_list("domain", flat=True))
        suggestions = likely_duplicates(msp=self.msp, name=client.name, domains=domains, exclude_pk=client.pk)
        return render(self.request, "clients/merge_pick.html",
                      {"client": client, "q": q, "matches": matches, "suggestions": suggestions})

    def post(self, request):
        target, sources = self.clients(request.POST)
        if target is None:
            return HttpResponseRedirect(reverse("clients:list"))
        choices = {
            "primary_contact": request.POST.get("primary_contact") or None,
            "fields": {name: request.POST[f"field_{name}"] for name in MERGEABLE_FIELDS
                       if request.POST.get(f"field_{name}")},
        }
        try:
            merge = client_merge_start(msp=self.msp, target=target, sources=sources, actor=request.user,
                                       choices=choices, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            return self.render_preview(target, sources, errors=exc.messages, status=422)
        return HttpResponseRedirect(reverse("clients:merge_status", kwargs={"merge_pk": merge.pk}))


class ClientMergeStatusView(ObjectDetailView):
    """The job's page: progress while it runs (htmx polls the fragment), then
    what moved, with Undo."""

    permission = Op.CLIENT_MERGE
    context_object_name = "merge"

    def get_object(self):
        return msp_get_or_404(ClientMerge.objects.select_related("target"), msp=self.msp, pk=self.kwargs["merge_pk"])

    @property
    def template_name(self):
        return "clients/_merge_progress.html" if self.request.htmx else "clients/merge_status.html"

    def get_context_data(self, **kwargs):
        merge = kwargs["merge"]
        return {**kwargs, "progress": merge_progress(merge), "can_undo": client_merge_can_undo(merge),
                "running": merge.status in (ClientMerge.Status.QUEUED, ClientMerge.Status.RUNNING)}


class ClientMergeUndoView(ObjectActionView):
    write_permission = Op.CLIENT_MERGE

    def get_object(self):
        return msp_get_or_404(ClientMerge.objects.all(), msp=self.msp, pk=self.kwargs["merge_pk"])

    def perform(self, merge) -> str:
        client_merge_undo(msp=self.msp, merge=merge, actor=self.request.user)
        return f"Undid the merge into {merge.target_name}: every moved record is back where it was."

    def get_success_url(self, merge) -> str:
        return reverse("clients:merge_status", kwargs={"merge_pk": merge.pk})
