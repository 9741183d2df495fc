"""Bulk actions: the confirmation page and the action, on the selected rows or on everything
matching the list's filter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from opsmerge.forms import apply_service_errors
from opsmerge.permissions import require

from .base import MspView

if TYPE_CHECKING:
    from .lists import ObjectListView


@dataclass
class BulkAction:
    """One entry of a list's bulk bar. `perform(request=, queryset=, data=)` returns
    a success message, or an HttpResponse (exports). `form_class` asks for the
    action's parameters on the confirmation page (tag names, a template …).
    `immediate` actions have a confirmation page of their own (the merge preview):
    they run on the first POST, typically redirecting there. `min_count` /
    `max_count` bound the selection size (a merge needs two or more rows)."""

    name: str
    label: str
    op: str
    perform: Callable[..., str | HttpResponseBase]
    form_class: type[forms.Form] | None = None
    confirm: str = "{label} for {count} {noun}?"
    danger: bool = False
    button_class: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    immediate: bool = False
    min_count: int = 1
    max_count: int | None = None


class BulkActionView(MspView):
    """POST target of a list's bulk bar.

    Step 1 (no `confirm`): the selection is resolved — `pk` values, or `all=1` with
    `filter` (the list's query string) meaning everything matching it — and a
    confirmation page states the count and asks for the action's parameters.
    Step 2 (`confirm=1`): the selection is resolved again; if "everything matching"
    now counts differently, the page asks again with the new count rather than
    acting on rows the user never saw counted.
    """

    http_method_names = ["post"]
    list_view: type[ObjectListView]
    noun: str = "items"
    template_name = "generic/bulk_confirm.html"
    write_permission = "view"  # each action checks its own Op

    def actions(self) -> dict[str, BulkAction]:
        return {a.name: a for a in self.list_view.get_bulk_actions()}

    def list_url(self, filter_query: str) -> str:
        url = reverse(self.list_view.url_name)
        return f"{url}?{filter_query}" if filter_query else url

    def selection(self, filter_query: str) -> tuple[QuerySet, bool]:
        """(queryset, everything_matching) for the POSTed selection, MSP-scoped."""
        lister = self.list_view()
        lister.request = self.request
        lister.kwargs = {}
        if self.request.POST.get("all") == "1":
            queryset, _ = lister.filtered_queryset(QueryDict(filter_query))
            return queryset, True
        pks = [int(pk) for pk in self.request.POST.getlist("pk") if pk.isdigit()]
        return lister.get_queryset().filter(pk__in=pks), False

    def post(self, request, *args, **kwargs):
        action = self.actions().get(request.POST.get("action", ""))
        if action is None:
            raise Http404("Unknown bulk action")
        require(request.user, action.op)
        filter_query = request.POST.get("filter", "")
        queryset, everything = self.selection(filter_query)
        count = queryset.count()
        if count == 0:
            messages.warning(request, "Nothing was selected.")
            return HttpResponseRedirect(self.list_url(filter_query))
        if count < action.min_count or (action.max_count is not None and count > action.max_count):
            bounds = f"{action.min_count} to {action.max_count}" if action.max_count else f"{action.min_count} or more"
            messages.warning(request, f"{action.label.rstrip('…')}: select {bounds} {self.noun} ({count} selected).")
            return HttpResponseRedirect(self.list_url(filter_query))
        form = None
        if action.form_class is not None:
            form = action.form_class(request.POST if "confirm" in request.POST else None, msp=self.msp,
                                     user=request.user)
        recount = everything and request.POST.get("expected_count") not in (None, str(count))
        confirmed = action.immediate or "confirm" in request.POST
        if confirmed and not recount and (form is None or form.is_valid()):
            data = form.cleaned_data if form is not None else {}
            try:
                result = action.perform(request=request, queryset=queryset, data=data)
            except ValidationError as exc:
                if form is None:
                    messages.error(request, " ".join(exc.messages))
                    return HttpResponseRedirect(self.list_url(filter_query))
                apply_service_errors(form, exc)
            else:
                if isinstance(result, HttpResponseBase):
                    return result
                messages.success(request, result)
                return HttpResponseRedirect(self.list_url(filter_query))
        noun = self.noun if count != 1 else self.noun.rstrip("s")
        return render(request, self.template_name, {
            "action": action, "form": form, "count": count, "everything": everything, "recount": recount,
            "question": action.confirm.format(label=action.label, count=count, noun=noun),
            "pks": request.POST.getlist("pk") if not everything else [],
            "filter_query": filter_query, "cancel_url": self.list_url(filter_query),
            "noun": noun, "sample": list(queryset.order_by("pk")[:10]),
        })
