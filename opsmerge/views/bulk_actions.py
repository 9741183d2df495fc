"""Bulk actions shared by lists (clients and contacts): export and the id list."""

from __future__ import annotations

from django import forms

from accounts.permissions import Op
from opsmerge.forms import MspForm

from .generic import BulkAction


def selected_ids(queryset) -> list[int]:
    return list(queryset.order_by().values_list("pk", flat=True))


class ExportForm(MspForm):
    fmt = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "Excel (.xlsx)")], label="Format",
                            widget=forms.RadioSelect, initial="csv")


def export_action(kind: str, *order_by: str) -> BulkAction:
    """Export the selection as CSV or xlsx through the import engineer's exporter
    (formula injection neutralised there)."""

    def perform(*, request, queryset, data):
        from integrations.imports.exporting import export_response

        return export_response(msp=request.msp, kind=kind, queryset=queryset.order_by(*order_by, "pk"),
                               fmt=data["fmt"])

    return BulkAction("export", "Export", Op.EXPORT, perform, ExportForm, confirm="Export {count} {noun}?")
