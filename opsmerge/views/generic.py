"""Generic views, written once (NetBox style): an app's views module is a handful of
short declarative classes over these.

- `ObjectListView`: filterset + whitelisted sorting + pagination, in a constant
  number of queries (annotate counts in the queryset, prefetch many-to-many).
- `ObjectDetailView`: one object of the request's MSP (404 for missing and foreign).
- `ObjectEditView`: create/edit through an `MspModelForm` whose `save()` calls the
  app's service; service ValidationErrors land on the form fields.
- `ObjectActionView`: a POST-only button (make primary, mark inactive …).
- `BulkActionView`: acts on the selected rows or on everything matching the list's
  current filter, after a confirmation page that states the count.

Every view checks its permission op (a name the permission policy knows, e.g.
`accounts.permissions.Op.CLIENT_EDIT`) on the server through `guard` (403 otherwise); the
templates hide controls with `perms_ops`, but that is only cosmetics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from opsmerge import registry
from opsmerge.forms import apply_service_errors, save_or_errors
from opsmerge.links import object_url
from opsmerge.permissions import permissions_for, require
from opsmerge.tables import Table


def guard(request: HttpRequest, op: str) -> HttpResponse | None:
    """The one permission guard of staff pages: signed-in staff of an MSP with `op`,
    else a login redirect (returned) / 403 (raised). None means "go on"."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if getattr(request, "msp", None) is None:
        raise PermissionDenied("This page is for MSP staff.")
    require(request.user, op)
    return None


def msp_view(op: str):
    """Decorator for function views: sign-in, an MSP, and `op`."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            return guard(request, op) or func(request, *args, **kwargs)

        return wrapper

    return decorate


class MspView(View):
    """Base: `permission` guards GET/HEAD, `write_permission` guards POST."""

    permission: str = "view"
    write_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        op = self.permission
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_permission is not None:
            op = self.write_permission
        return guard(request, op) or super().dispatch(request, *args, **kwargs)

    @property
    def msp(self):
        return self.request.msp

    def safe_next(self, default: str) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return default


# ---------------------------------------------------------------- lists


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
        if not key:
            return queryset.order_by("pk")
        fields = self.get_sort_fields()[key.lstrip("-")]
        if key.startswith("-"):
            fields = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
        return queryset.order_by(*fields, "-pk" if key.startswith("-") else "pk")

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


def _perms(request) -> frozenset[str]:
    return permissions_for(request.user)


# ---------------------------------------------------------------- detail


class ObjectDetailView(MspView):
    """Implement `get_object()` with the app's selector (404 for foreign ids)."""

    template_name: str = ""
    context_object_name: str = "object"

    def get_object(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return kwargs

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        context = {"object": self.object, self.context_object_name: self.object, "view": self}
        context.update(self.get_context_data(**context))
        return render(request, self.template_name, context)


# ---------------------------------------------------------------- create / edit


class ObjectEditView(MspView):
    """Create (no object) or edit (object) through `form_class`, an MspModelForm or
    MspForm whose `save(actor=)` calls the app's service and returns the object."""

    template_name: str = "generic/object_edit.html"
    form_class: type[forms.BaseForm]
    permission = "client_edit"
    write_permission: str | None = None  # defaults to `permission`
    success_message: str = "Saved {object}."
    heading: str = ""

    def dispatch(self, request, *args, **kwargs):
        self.write_permission = self.write_permission or self.permission
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return None  # create

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = {"msp": self.msp, "user": self.request.user}
        if issubclass(self.form_class, forms.ModelForm):
            kwargs["instance"] = self.object
        if self.request.method == "POST":
            kwargs.update(data=self.request.POST, files=self.request.FILES)
        else:
            kwargs["initial"] = self.get_initial()
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_success_url(self, obj) -> str:
        return object_url(obj)

    def get_cancel_url(self) -> str:
        return object_url(self.object) or self.safe_next("/")

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return kwargs

    def render_form(self, form, status=200):
        context = {
            "view": self, "form": form, "object": self.object,
            "heading": self.heading or (f"Edit {self.object}" if self.object else "New"),
            "cancel_url": self.get_cancel_url(),
        }
        context.update(self.get_context_data(**context))
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_form(self.form_class(**self.get_form_kwargs()))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(**self.get_form_kwargs())
        obj = save_or_errors(form, actor=request.user)
        if obj is not None:
            messages.success(request, self.success_message.format(object=obj))
            return HttpResponseRedirect(self.safe_next(self.get_success_url(obj)))
        return self.render_form(form, status=422 if request.htmx else 200)


class ObjectActionView(MspView):
    """A POST-only button on an object. Implement `get_object()` and
    `perform(obj) -> message`; ValidationError becomes an error toast."""

    http_method_names = ["post"]
    write_permission = "client_edit"

    def get_object(self):
        raise NotImplementedError

    def perform(self, obj) -> str:
        raise NotImplementedError

    def get_success_url(self, obj) -> str:
        return object_url(obj)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            message = self.perform(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if message:
                messages.success(request, message)
        return HttpResponseRedirect(self.safe_next(self.get_success_url(obj)))


# ---------------------------------------------------------------- bulk actions


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
