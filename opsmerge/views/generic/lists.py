"""ObjectListView: filterset, whitelisted sorting (from the list's Table), capped pagination and bulk
actions, in a constant number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property

from opsmerge import registry
from opsmerge.tables import Table, sorted_by

from .base import MspView, _perms

if TYPE_CHECKING:
    from .bulk import BulkAction


class CappedPaginator(Paginator):
    """Counts at most `cap` rows ("10,000+"): an exact COUNT(*) over 200,000 contacts
    costs more than the page itself and nobody pages that far. Bulk confirmations
    still count exactly."""

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()
        if not rows._fields:  # plain querysets: count ids, not the annotated list columns
            rows = rows.values("pk")
        n = rows[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)


class ObjectListView(MspView):
    """Declare `filterset_class`, `table_class` (an `opsmerge.tables.Table`: its
    columns give the `?sort=` keys and its `default_sort` the default),
    `template_name`; implement `get_queryset()`. Lists without a table declare
    `sort_fields` ({key: order_by fields}) and `default_sort` themselves.

    Rows of the current page are `object_list`, and `table` renders them;
    `page_obj`, `filter_form`, `is_filtered`, `total` and `bulk_actions` are in the
    context too.
    """

    template_name: str = ""
    url_name: str = ""  # this list's url name (bulk actions return to it)
    filterset_class = None
    table_class: type[Table] | None = None
    sort_fields: dict[str, tuple[str, ...]] = {}
    default_sort: str = ""
    paginate_by: int = 50
    max_paginate_by: int = 200
    bulk_url_name: str = ""  # POST target of the bulk bar, if the list has one
    bulk_actions: list[BulkAction] = []
    bulk_list_key = ""  # other apps add actions to this list under this key (opsmerge.registry.bulk_actions)
    extra_context: dict[str, Any] = {}

    def get_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_filterset(self, data: QueryDict, queryset: QuerySet):
        if self.filterset_class is None:
            return None
        return self.filterset_class(data, queryset=queryset, request=self.request)

    def filtered_queryset(self, data: QueryDict) -> tuple[QuerySet, Any]:
        """The list's rows for the filter in `data` (also used by bulk actions)."""
        queryset = self.get_queryset()
        filterset = self.get_filterset(data, queryset)
        if filterset is not None:
            queryset = filterset.qs
        return queryset, filterset

    def get_sort_fields(self) -> dict[str, tuple[str, ...]]:
        return self.table_class.sort_fields() if self.table_class is not None else self.sort_fields

    def get_default_sort(self) -> str:
        return self.default_sort or (self.table_class.default_sort if self.table_class is not None else "")

    def sort_key(self) -> str:
        requested = self.request.GET.get("sort", "")
        return requested if requested.lstrip("-") in self.get_sort_fields() else self.get_default_sort()

    def apply_sort(self, queryset: QuerySet, key: str) -> QuerySet:
        return sorted_by(queryset, self.get_sort_fields(), key)

    def paginate(self, queryset: QuerySet):
        try:
            per_page = min(int(self.request.GET.get("per_page", self.paginate_by)), self.max_paginate_by)
        except ValueError:
            per_page = self.paginate_by
        paginator = CappedPaginator(queryset, max(per_page, 1))
        return paginator.get_page(self.request.GET.get("page"))

    @classmethod
    def get_bulk_actions(cls) -> list[BulkAction]:
        """The list's own actions with those other apps registered for `bulk_list_key`,
        each placed before the action its entry names (else last)."""
        actions = list(cls.bulk_actions)
        for entry in registry.bulk_actions:
            if cls.bulk_list_key and entry.list_key == cls.bulk_list_key:
                names = [a.name for a in actions]
                index = names.index(entry.before) if entry.before in names else len(actions)
                actions.insert(index, entry.action())
        return actions

    def is_filtered(self, filterset) -> bool:
        if filterset is None:
            return False
        return any(self.request.GET.get(name) for name in filterset.filters)

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        queryset, filterset = self.filtered_queryset(self.request.GET)
        chips = []
        if filterset is not None:
            friendly_empty_choices(filterset.form)
            chips = compact_model_choices(filterset.form)
        sort = self.sort_key()
        page = self.paginate(self.apply_sort(queryset, sort))
        filter_params = self.request.GET.copy()
        for key in ("page", "sort", "per_page"):
            filter_params.pop(key, None)
        bulk_actions = [a for a in self.get_bulk_actions() if str(a.op) in _perms(self.request)]
        table = self.get_table(page.object_list, sort=sort, selectable=bool(bulk_actions))
        if table is not None:
            # Render the rows here, not first from inside the template's {% include %}:
            # measured, the same rows cost ~10 ms more per 50 there (contacts list; the
            # cause looks like interpreter stack depth). docs/decisions/0800-tables.md
            table.render()
        return {
            "view": self,
            "object_list": page.object_list,
            "table": table,
            "page_obj": page,
            "total": page.paginator.count,
            "filterset": filterset,
            "filter_form": filterset.form if filterset is not None else None,
            "filter_chips": chips,
            "is_filtered": self.is_filtered(filterset),
            "filter_query": filter_params.urlencode(),
            "default_sort": self.get_default_sort(),
            "sort": sort,
            "bulk_url": reverse(self.bulk_url_name) if self.bulk_url_name else "",
            "bulk_actions": bulk_actions,
            **self.extra_context,
            **kwargs,
        }

    def get_table(self, rows, *, sort: str, selectable: bool) -> Table | None:
        if self.table_class is None:
            return None
        return self.table_class(rows, request=self.request, sort=sort, selectable=selectable,
                                perms=_perms(self.request))

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self.get_context_data())


COMPACT_CHOICES_OVER = 200


def compact_model_choices(form, *, limit: int = COMPACT_CHOICES_OVER) -> list[dict]:
    """Model choice filters over more than `limit` rows (10,000 clients, 200,000
    contacts) are not rendered as <select>s: they become hidden inputs, set by links
    ("see all contacts of this client"), and show as removable chips. Returns the
    chips: [{"label", "value", "name"}]."""
    chips = []
    for name, form_field in form.fields.items():
        if not isinstance(form_field, forms.ModelChoiceField) or isinstance(form_field, forms.ModelMultipleChoiceField):
            continue
        if form_field.queryset.order_by()[:limit + 1].count() <= limit:
            continue
        form_field.widget = forms.HiddenInput()
        value = form.data.get(name) if form.is_bound else None
        selected = form_field.queryset.filter(pk=value).first() if value and str(value).isdigit() else None
        if selected is not None:
            remaining = form.data.copy()
            for key in (name, "page"):
                remaining.pop(key, None)
            chips.append({"name": name, "label": f"{form_field.label or name.title()}: {selected}",
                          "remove_url": f"?{remaining.urlencode()}"})
    return chips


DJANGO_BLANK = "---------"


def friendly_empty_choices(form) -> None:
    """Filter selects say "Any" rather than Django's "---------" (a label the filterset
    chose, such as "Any client", stays)."""
    for form_field in form.fields.values():
        if hasattr(form_field, "empty_label"):  # model choices and django-filter's ChoiceField
            if form_field.empty_label in (None, DJANGO_BLANK):
                form_field.empty_label = "Any"
        elif isinstance(form_field, forms.ChoiceField) and not isinstance(form_field, forms.MultipleChoiceField):
            choices = list(form_field.choices)
            if choices and choices[0] == ("", DJANGO_BLANK):
                form_field.choices = [("", "Any"), *choices[1:]]
