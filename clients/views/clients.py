"""Clients web UI: short declarative classes over opsmerge.views.generic."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User
from accounts.permissions import Op
from opsmerge.views.bulk_actions import export_action, handoff_action, selected_ids
from opsmerge.views.generic import (
    BulkAction,
    BulkActionView,
    ObjectEditView,
    ObjectListView,
    msp_view,
)

from ..filtersets import ClientFilterSet
from ..forms import (
    ArchiveReasonForm,
    ClientEditForm,
    ClientOnboardForm,
    TagNamesForm,
)
from ..models import CustomField, Tag
from ..selectors import client_get, client_list
from ..tables import ClientTable


def custom_field_filters(*, msp, data, applies_to: str) -> list[dict]:
    """Filter inputs for the MSP's custom fields (`cf_<key>` in the query string)."""
    fields = []
    for definition in CustomField.objects.filter(msp=msp, applies_to=applies_to):
        choices = None
        if definition.field_type == CustomField.Type.CHOICE:
            choices = [str(c) for c in definition.choices]
        elif definition.field_type == CustomField.Type.BOOLEAN:
            choices = ["yes", "no"]
        fields.append({"def": definition, "name": f"cf_{definition.key}", "value": data.get(f"cf_{definition.key}", ""),
                       "choices": choices})
    return fields


def apply_custom_field_filters(queryset, filters: list[dict]):
    for item in filters:
        value, definition = item["value"].strip(), item["def"]
        if not value:
            continue
        key = definition.key
        if definition.field_type == CustomField.Type.BOOLEAN:
            queryset = queryset.filter(custom_fields__contains={key: value == "yes"})
        elif definition.field_type == CustomField.Type.TEXT:
            queryset = queryset.filter(**{f"custom_fields__{key}__icontains": value})
        elif definition.field_type == CustomField.Type.NUMBER:
            try:
                number = float(value)
            except ValueError:
                continue
            queryset = queryset.filter(custom_fields__contains={key: int(number) if number.is_integer() else number})
        else:
            queryset = queryset.filter(custom_fields__contains={key: value})
    return queryset


# ---------------------------------------------------------------- bulk actions


def _tag_add(*, request, queryset, data):
    from ..bulk import clients_tag_add

    n = clients_tag_add(msp=request.msp, client_ids=selected_ids(queryset), names=data["tags"], actor=request.user)
    return f"Added {', '.join(data['tags'])} to {n} client{'s' if n != 1 else ''}."


def _tag_remove(*, request, queryset, data):
    from ..bulk import clients_tag_remove

    n = clients_tag_remove(msp=request.msp, client_ids=selected_ids(queryset), names=data["tags"], actor=request.user)
    return f"Removed {', '.join(data['tags'])} from {n} client{'s' if n != 1 else ''}."


def _archive(*, request, queryset, data):
    from ..lifecycle import clients_archive

    n = clients_archive(msp=request.msp, client_ids=selected_ids(queryset), actor=request.user, reason=data["reason"])
    return f"Archived {n} client{'s' if n != 1 else ''}."


CLIENT_BULK_ACTIONS = [
    BulkAction("tag_add", "Add tags", Op.BULK_EDIT, _tag_add, TagNamesForm),
    BulkAction("tag_remove", "Remove tags", Op.BULK_EDIT, _tag_remove, TagNamesForm),
    export_action("clients", "name"),
    BulkAction("archive", "Archive", Op.CLIENT_ARCHIVE, _archive, ArchiveReasonForm, danger=True,
               confirm="Archive {count} {noun}?"),
    handoff_action("merge", "Merge…", Op.CLIENT_MERGE, "clients:merge"),
]


# ---------------------------------------------------------------- list


class ClientListView(ObjectListView):
    template_name = "clients/client_list.html"
    url_name = "clients:list"
    filterset_class = ClientFilterSet
    table_class = ClientTable
    bulk_url_name = "clients:bulk"
    bulk_actions = CLIENT_BULK_ACTIONS
    bulk_list_key = "clients"

    def get_queryset(self):
        return (
            client_list(msp=self.msp, include_archived=True)
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.filter(msp=self.msp).order_by("name")))
        )

    def filtered_queryset(self, data):
        queryset, filterset = super().filtered_queryset(data)
        self.cf_filters = custom_field_filters(msp=self.msp, data=data, applies_to=CustomField.AppliesTo.CLIENT)
        return apply_custom_field_filters(queryset, self.cf_filters), filterset

    def is_filtered(self, filterset) -> bool:
        return super().is_filtered(filterset) or any(f["value"] for f in self.cf_filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            cf_filters=self.cf_filters,
            extra_filters=[(f, self.request.GET.get(f.name, "")) for f in ClientFilterSet.registered_filters()],
            tags=Tag.objects.filter(msp=self.msp).order_by("name"),
            managers=User.objects.filter(msp=self.msp, is_active=True).order_by("full_name"),
            status_choices=[("", "Active & leads"), ("active", "Active"), ("lead", "Lead"), ("archived", "Archived")],
            noun="clients",
        )
        return context


class ClientBulkView(BulkActionView):
    list_view = ClientListView
    noun = "clients"


# ---------------------------------------------------------------- create / edit


class ClientCreateView(ObjectEditView):
    form_class = ClientOnboardForm
    template_name = "clients/client_form.html"
    permission = Op.CLIENT_EDIT
    heading = "New client"
    success_message = "Client {object} created with its HQ site and primary contact."

    def get_cancel_url(self) -> str:
        return reverse("clients:list")

    def post(self, request, *args, **kwargs):
        self.object = None
        form = self.form_class(**self.get_form_kwargs())
        if form.is_valid() and not request.POST.get("ignore_duplicates"):
            duplicates = likely_duplicates_for(msp=self.msp, name=form.cleaned_data["name"],
                                               domains=form.cleaned_data["domains"])
            if duplicates:
                self.duplicates = duplicates
                return self.render_form(form)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**kwargs, "duplicates": getattr(self, "duplicates", []), "is_create": True}


def likely_duplicates_for(*, msp, name: str, domains: str) -> list:
    """Clients that look like the one being created (clients.duplicates)."""
    from ..duplicates import likely_duplicates
    from ..forms import _split

    return list(likely_duplicates(msp=msp, name=name, domains=tuple(_split(domains)), limit=5))


class ClientEditView(ObjectEditView):
    form_class = ClientEditForm
    template_name = "clients/client_form.html"
    permission = Op.CLIENT_EDIT

    def get_object(self):
        return client_get(msp=self.msp, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**kwargs, "heading": f"Edit {self.object.name}"}


def subdivisions(request):
    """<option>s of the ISO 3166-2 regions of ?country= (htmx, the state picker)."""
    import pycountry

    country = request.GET.get("country", "").upper()[:2]
    regions = sorted(pycountry.subdivisions.get(country_code=country) or [], key=lambda s: s.name) if country else []
    return render(request, "clients/_subdivision_options.html", {
        "regions": regions, "selected": request.GET.get("state", "").upper()})


subdivisions = msp_view(Op.VIEW)(subdivisions)
