"""Possible duplicates: pairs with score and reasons, one click to the merge
preview, dismiss as "not duplicates", rescan."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, ObjectActionView, ObjectListView

from ..duplicates import duplicate_candidate_list, duplicate_dismiss
from ..models import DuplicateCandidate


class DuplicateListView(ObjectListView):
    template_name = "clients/duplicates.html"
    url_name = "clients:duplicates"

    def get_queryset(self):
        return duplicate_candidate_list(msp=self.msp)

    def apply_sort(self, queryset, key):
        return queryset  # best score first (the selector's order)


class DuplicateDismissView(ObjectActionView):
    write_permission = Op.CLIENT_EDIT

    def get_object(self):
        return msp_get_or_404(DuplicateCandidate.objects.select_related("client_a", "client_b"), msp=self.msp,
                              pk=self.kwargs["candidate_pk"])

    def perform(self, candidate) -> str:
        duplicate_dismiss(msp=self.msp, candidate=candidate, actor=self.request.user)
        return f"{candidate.client_a} and {candidate.client_b} will not be suggested again."

    def get_success_url(self, candidate) -> str:
        return reverse("clients:duplicates")


class DuplicateScanView(MspView):
    http_method_names = ["post"]
    write_permission = Op.CLIENT_EDIT

    def post(self, request):
        from ..tasks import duplicates_scan

        msp_id = self.msp.pk
        transaction.on_commit(lambda: duplicates_scan.delay(msp_id))
        messages.success(request, "Looking for duplicates again; refresh in a moment.")
        return HttpResponseRedirect(reverse("clients:duplicates"))
