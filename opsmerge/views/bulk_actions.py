"""Bulk actions shared by lists (clients and contacts): export, hand-off to a page
(merge), and the id list."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpResponseRedirect
from django.urls import reverse

from opsmerge.forms import MspForm
from opsmerge.registry import exporters

from .generic import BulkAction


def selected_ids(queryset) -> list[int]:
    return list(queryset.order_by().values_list("pk", flat=True))


class ExportForm(MspForm):
    fmt = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "Excel (.xlsx)")], label="Format",
                            widget=forms.RadioSelect, initial="csv")


def export_action(kind: str, *order_by: str) -> BulkAction:
    """Export the selection as CSV or xlsx through the exporter an app registered
    (integrations.imports: formula injection neutralised there)."""

    def perform(*, request, queryset, data):
        exporter = exporters["spreadsheet"]
        return exporter.respond(msp=request.msp, kind=kind, queryset=queryset.order_by(*order_by, "pk"),
                                fmt=data["fmt"])

    return BulkAction("export", "Export", "export", perform, ExportForm, confirm="Export {count} {noun}?")


def handoff_action(name: str, label: str, op: str, url_name: str, *, min_count: int = 2,
                   max_count: int = 20) -> BulkAction:
    """Hand the selection to a page that confirms on its own (the merge preview):
    redirect to `url_name?ids=…&ids=…` without the generic confirmation step. The
    ids travel in the URL and that page names every one, hence `max_count`."""

    def perform(*, request, queryset, data):
        query = urlencode([("ids", pk) for pk in sorted(selected_ids(queryset))])
        return HttpResponseRedirect(f"{reverse(url_name)}?{query}")

    return BulkAction(name, label, op, perform, immediate=True, min_count=min_count, max_count=max_count)
