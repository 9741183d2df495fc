"""Clients web UI: short declarative classes over opsmerge.views.generic."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, OuterRef, Prefetch, Subquery, Value, When
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User
from accounts.permissions import Op
from billing.models import Contract, Invoice
from opsmerge.db import count_subquery
from opsmerge.models import AuditEvent
from opsmerge.registry import client_counts
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.bulk_actions import export_action, handoff_action, selected_ids
from opsmerge.views.generic import (
    BulkAction,
    BulkActionView,
    MspView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    msp_view,
)

from ..business_hours import business_hours_for
from ..filtersets import ClientFilterSet
from ..forms import (
    ArchiveReasonForm,
    ClientEditForm,
    ClientOnboardForm,
    ContractTemplateForm,
    DocumentUploadForm,
    TagNamesForm,
)
from ..models import ClientDocument, CustomField, Tag
from ..selectors import client_get, client_list
from ..tables import ClientTable


def contract_status_subquery():
    """The status of the client's most relevant contract: an active one if any,
    else the newest. NULL when the client has no contract."""
    ranked = Contract.objects.filter(client=OuterRef("pk")).order_by(
        Case(When(status=Contract.Status.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-start_date",
    )
    return Subquery(ranked.values("status")[:1])


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


def _contract_template(*, request, queryset, data):
    from ..bulk import clients_change_contract_template

    n = clients_change_contract_template(msp=request.msp, client_ids=selected_ids(queryset), template=data["template"],
                                         actor=request.user)
    return f"{n} client{'s' if n != 1 else ''} now on contract template {data['template']}."


def _archive(*, request, queryset, data):
    from ..lifecycle import clients_archive

    n = clients_archive(msp=request.msp, client_ids=selected_ids(queryset), actor=request.user, reason=data["reason"])
    return f"Archived {n} client{'s' if n != 1 else ''}."


CLIENT_BULK_ACTIONS = [
    BulkAction("tag_add", "Add tags", Op.BULK_EDIT, _tag_add, TagNamesForm),
    BulkAction("tag_remove", "Remove tags", Op.BULK_EDIT, _tag_remove, TagNamesForm),
    BulkAction("contract_template", "Change contract template", Op.BULK_EDIT, _contract_template,
               ContractTemplateForm),
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

    def get_queryset(self):
        return (
            client_list(msp=self.msp, include_archived=True)
            .annotate(contract_status=contract_status_subquery())
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


# ---------------------------------------------------------------- client page and tabs


class ClientTabView(ObjectDetailView):
    """A tab of the client page; `active_tab` is its key in opsmerge.registry.client_tabs."""

    context_object_name = "client"
    active_tab = "overview"

    def get_object(self):
        return client_get(msp=self.msp, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        from .merge import merged_client_redirect  # old URLs of a merged-away client lead to its target

        redirect = merged_client_redirect(msp=self.msp, pk=kwargs["pk"], url_name=request.resolver_match.view_name)
        return redirect or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**kwargs, "active_tab": self.active_tab, **self.tab_context(kwargs["client"])}

    def tab_context(self, client) -> dict:
        return {}


class ClientDetailView(ClientTabView):
    template_name = "clients/client_detail.html"

    def tab_context(self, client):
        from contacts.models import Contact
        from integrations.m365.models import M365Tenant

        msp = self.msp
        annotations = {count.key: count.expression() for count in client_counts}
        counts = (
            type(client).objects.filter(msp=msp, pk=client.pk)
            .annotate(**annotations, contract_status=contract_status_subquery())
            .values(*annotations, "contract_status")
            .get()
        )
        hours, holidays = business_hours_for(msp=msp, client=client)
        definitions = CustomField.objects.filter(msp=msp, applies_to=CustomField.AppliesTo.CLIENT)
        return {
            "counts": counts,
            "contract_label": dict(Contract.Status.choices).get(counts["contract_status"], "No contract"),
            "domains": list(client.domains.all()),
            "tags": list(client.tags.order_by("name")),
            "tech_groups": list(client.tech_groups.all()),
            "primary_contact": Contact.objects.filter(msp=msp, client=client, is_primary=True).alive().first(),
            "tenants": list(M365Tenant.objects.filter(msp=msp, client=client)),
            "recent": list(AuditEvent.objects.filter(msp=msp, client=client).select_related("actor")[:8]),
            "hours": hours, "holidays": holidays,
            "custom_values": [(d.label, client.custom_fields.get(d.key)) for d in definitions
                              if client.custom_fields.get(d.key) not in (None, "")],
        }


class ClientContactsTab(ClientTabView):
    template_name = "clients/tab_contacts.html"
    active_tab = "contacts"

    def tab_context(self, client):
        from assets.models import Asset
        from contacts.models import Contact
        from contacts.views.contacts import contact_tags_prefetch
        from tickets.models import Ticket

        contacts = (
            Contact.objects.filter(msp=self.msp, client=client).alive().select_related("organisation")
            .annotate(ticket_count=count_subquery(Ticket.objects.all(), "contact"),
                      asset_count=count_subquery(Asset.objects.filter(is_active=True), "contact"))
            .prefetch_related(contact_tags_prefetch(self.msp))
            .order_by("-is_primary", "-is_active", "last_name", "first_name", "organisation_name")
        )
        return {"contacts": contacts}


class ClientSitesTab(ClientTabView):
    template_name = "clients/tab_sites.html"
    active_tab = "sites"

    def tab_context(self, client):
        from assets.models import Asset
        from sites.models import Site
        from tickets.models import Ticket

        sites = Site.objects.filter(msp=self.msp, client=client).annotate(
            asset_count=count_subquery(Asset.objects.filter(is_active=True), "site"),
            open_ticket_count=count_subquery(Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES), "site"),
        )
        return {"sites": sites}


class ClientAssetsTab(ClientTabView):
    template_name = "clients/tab_assets.html"
    active_tab = "assets"

    def tab_context(self, client):
        from assets.models import Asset
        from sites.models import Site

        site_id = self.request.GET.get("site", "")
        assets = Asset.objects.filter(msp=self.msp, client=client, is_active=True).select_related("site", "contact")
        if site_id.isdigit():
            assets = assets.filter(site_id=int(site_id))
        return {"assets": assets.order_by("name", "pk")[:500], "sites": Site.objects.filter(msp=self.msp, client=client),
                "site_id": site_id}


class ClientTicketsTab(ClientTabView):
    template_name = "clients/tab_tickets.html"
    active_tab = "tickets"

    def tab_context(self, client):
        from sites.models import Site
        from tickets.models import Ticket

        state = self.request.GET.get("state", "open")
        site_id = self.request.GET.get("site", "")
        tickets = Ticket.objects.filter(msp=self.msp, client=client).select_related("contact", "assigned_to", "site")
        if state == "open":
            tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
        if site_id.isdigit():
            tickets = tickets.filter(site_id=int(site_id))
        return {"tickets": tickets.order_by("-created_at")[:200], "state": state, "site_id": site_id,
                "sites": Site.objects.filter(msp=self.msp, client=client)}


class ClientBillingTab(ClientTabView):
    template_name = "clients/tab_billing.html"
    active_tab = "billing"

    def tab_context(self, client):
        return {
            "contracts": Contract.objects.filter(msp=self.msp, client=client).select_related("template"),
            "invoices": Invoice.objects.filter(msp=self.msp, client=client)[:200],
        }


class ClientDocumentsTab(ClientTabView):
    template_name = "clients/tab_documents.html"
    active_tab = "documents"

    def tab_context(self, client):
        form = getattr(self, "upload_form", None) or DocumentUploadForm(msp=self.msp, user=self.request.user,
                                                                         client=client)
        return {"documents": ClientDocument.objects.filter(msp=self.msp, client=client).select_related("uploaded_by"),
                "form": form}


class ClientDocumentUploadView(ClientDocumentsTab):
    """POST the upload form of the Documents tab."""

    http_method_names = ["post"]
    write_permission = Op.CLIENT_EDIT

    def post(self, request, *args, **kwargs):
        from django.core.exceptions import ValidationError

        from opsmerge.forms import apply_service_errors

        client = self.get_object()
        form = DocumentUploadForm(request.POST, request.FILES, msp=self.msp, user=request.user, client=client)
        if form.is_valid():
            try:
                document = form.save(actor=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Uploaded {document.name}.")
                return HttpResponseRedirect(reverse("clients:documents", kwargs={"pk": client.pk}))
        self.upload_form = form
        return self.get(request, *args, **kwargs)


class DocumentDownloadView(MspView):
    def get(self, request, client_pk, document_pk):
        client = client_get(msp=self.msp, pk=client_pk)
        document = msp_get_or_404(ClientDocument.objects.all(), msp=self.msp, pk=document_pk, client=client)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is missing from storage.") from None
        response = FileResponse(handle, as_attachment=True, filename=document.name if "." in document.name
                                else document.file.name.rsplit("/", 1)[-1], content_type=document.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocumentDeleteView(MspView):
    http_method_names = ["post"]
    write_permission = Op.CLIENT_EDIT

    def post(self, request, client_pk, document_pk):
        from ..documents import document_delete

        client = client_get(msp=self.msp, pk=client_pk)
        document = msp_get_or_404(ClientDocument.objects.all(), msp=self.msp, pk=document_pk, client=client)
        document_delete(msp=self.msp, document=document, actor=request.user)
        messages.success(request, f"Deleted {document.name}.")
        return HttpResponseRedirect(reverse("clients:documents", kwargs={"pk": client.pk}))


class ClientActivityTab(ClientTabView):
    template_name = "clients/tab_activity.html"
    active_tab = "activity"
    permission = Op.AUDIT_VIEW

    def tab_context(self, client):
        from opsmerge.views.activity import activity_page

        return activity_page(self.request, AuditEvent.objects.filter(msp=self.msp, client=client))

