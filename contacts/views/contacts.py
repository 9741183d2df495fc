"""Contacts web UI: flat filterable list, grouped-by-client view (seed 003), person /
organisation forms (seed 002), role flags, inactive, bulk actions."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from clients.forms import TagNamesForm
from clients.models import Client, CustomField
from clients.views.clients import apply_custom_field_filters, custom_field_filters
from opsmerge.models import AuditEvent
from opsmerge.registry import annotations_for
from opsmerge.views.bulk_actions import export_action, handoff_action, selected_ids
from opsmerge.views.generic import (
    BulkAction,
    BulkActionView,
    CappedPaginator,
    ObjectActionView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    compact_model_choices,
    friendly_empty_choices,
)

from ..filtersets import ContactFilterSet
from ..forms import ContactForm
from ..models import Contact
from ..selectors import contact_get, contact_tags_prefetch
from ..services import contact_make_primary, contact_update
from ..tables import ContactTable

GROUPS_PER_PAGE = 20
CONTACTS_PER_GROUP = 25


def contact_rows(msp):
    """Contacts of `msp` with the list columns (contacts.tables.ContactTable), in constant
    queries. Here rather than in selectors: the counts read assets and tickets, which sit
    above contacts (docs/architecture.md)."""
    return (
        Contact.objects.filter(msp=msp).alive()
        .select_related("client", "organisation")
        .annotate(**annotations_for("contacts.Contact", on_list=True))
        .prefetch_related(contact_tags_prefetch(msp))
    )


def _tag_add(*, request, queryset, data):
    from ..bulk import contacts_tag_add

    n = contacts_tag_add(msp=request.msp, contact_ids=selected_ids(queryset), names=data["tags"], actor=request.user)
    return f"Added {', '.join(data['tags'])} to {n} contact{'s' if n != 1 else ''}."


def _mark_inactive(*, request, queryset, data):
    from ..bulk import contacts_mark_inactive

    n = contacts_mark_inactive(msp=request.msp, contact_ids=selected_ids(queryset), actor=request.user)
    return f"Marked {n} contact{'s' if n != 1 else ''} inactive."


class ContactListView(ObjectListView):
    template_name = "contacts/contact_list.html"
    url_name = "contacts:list"
    filterset_class = ContactFilterSet
    table_class = ContactTable
    bulk_url_name = "contacts:bulk"
    bulk_actions = [
        BulkAction("tag_add", "Add tags", Op.BULK_EDIT, _tag_add, TagNamesForm),
        BulkAction("mark_inactive", "Mark inactive", Op.CONTACT_EDIT, _mark_inactive, danger=True,
                   confirm="Mark {count} {noun} inactive? They lose portal access immediately."),
        export_action("contacts", "last_name", "first_name"),
        handoff_action("merge", "Merge…", Op.CONTACT_MERGE, "contacts:merge"),
    ]

    def get_queryset(self):
        return contact_rows(self.msp)

    def filtered_queryset(self, data):
        queryset, filterset = super().filtered_queryset(data)
        self.cf_filters = custom_field_filters(msp=self.msp, data=data, applies_to=CustomField.AppliesTo.CONTACT)
        return apply_custom_field_filters(queryset, self.cf_filters), filterset

    def is_filtered(self, filterset) -> bool:
        return super().is_filtered(filterset) or any(f["value"] for f in self.cf_filters)

    def get(self, request, *args, **kwargs):
        if request.GET.get("view") == "grouped":
            return self.grouped()
        return super().get(request, *args, **kwargs)

    def grouped(self):
        """Collapsible groups, one per client (by name), then "No client assigned"
        (seed 003). Pages over clients that have a matching contact; each group shows
        its first CONTACTS_PER_GROUP contacts. Constant queries."""
        queryset, filterset = self.filtered_queryset(self.request.GET)
        friendly_empty_choices(filterset.form)
        chips = compact_model_choices(filterset.form)
        matching = queryset.order_by()
        clients = (Client.objects.filter(msp=self.msp).filter(Exists(matching.filter(client=OuterRef("pk"))))
                   .order_by("name", "pk").values("pk", "name", "status"))
        page = CappedPaginator(clients, GROUPS_PER_PAGE).get_page(self.request.GET.get("page"))
        groups = [{"client_id": c["pk"], "client__name": c["name"], "client__status": c["status"]}
                  for c in page.object_list]
        unassigned = matching.filter(client__isnull=True).count()
        if unassigned and not page.has_next():
            groups.append({"client_id": None, "client__name": None, "client__status": ""})
        else:
            unassigned = 0
        ids = [g["client_id"] for g in groups if g["client_id"] is not None]
        counts = dict(Contact.objects.filter(msp=self.msp, pk__in=matching.filter(client_id__in=ids).values("pk"))
                      .order_by().values_list("client_id").annotate(n=Count("id")))
        counts[None] = unassigned
        by_client: dict = {}
        for contact in self.group_rows(matching, ids, unassigned=bool(unassigned)) if groups else ():
            by_client.setdefault(contact.client_id, []).append(contact)
        for group in groups:
            group["n"] = counts.get(group["client_id"], 0)
            group["contacts"] = by_client.get(group["client_id"], [])
        return render(self.request, "contacts/contact_groups.html", {
            "view": self, "groups": groups, "page_obj": page, "total_groups": page.paginator.count,
            "filter_form": filterset.form, "is_filtered": self.is_filtered(filterset), "cf_filters": self.cf_filters,
            "per_group": CONTACTS_PER_GROUP, "filter_chips": chips,
        })

    def group_rows(self, matching, client_ids: list, *, unassigned: bool):
        """The first CONTACTS_PER_GROUP matching contacts of each group, in one query:
        the window ranks ids only, and the list columns (counts) are computed for the
        rows shown, not for every contact of a big client."""
        condition = Q(client_id__in=client_ids) | (Q(client__isnull=True) if unassigned else Q(pk__in=[]))
        order = [F("is_primary").desc(), F("last_name").asc(), F("first_name").asc(), F("pk").asc()]
        shown = (matching.filter(condition)
                 .annotate(rank=Window(RowNumber(), partition_by=[F("client_id")], order_by=order))
                 .filter(rank__lte=CONTACTS_PER_GROUP).values("pk"))
        # The group header names the client: rows need neither it nor the long text/JSON columns.
        return (self.get_queryset().select_related(None).select_related("organisation")
                .defer("notes", "custom_fields", "external_ids")
                .filter(pk__in=shown).order_by("client_id", *order))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(cf_filters=self.cf_filters, noun="contacts")
        return context


class ContactBulkView(BulkActionView):
    list_view = ContactListView
    noun = "contacts"


class ContactDetailView(ObjectDetailView):
    template_name = "contacts/contact_detail.html"
    context_object_name = "contact"

    def get_object(self):
        return contact_get(msp=self.msp, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        contact = kwargs["contact"]
        definitions = CustomField.objects.filter(msp=self.msp, applies_to=CustomField.AppliesTo.CONTACT)
        return {
            **kwargs,
            "tags": list(contact.tags.order_by("name")),
            "members": Contact.objects.filter(msp=self.msp, organisation=contact).alive()[:50]
            if contact.kind == Contact.Kind.ORGANISATION else [],
            "events": AuditEvent.objects.filter(msp=self.msp, object_type="contact", object_id=str(contact.pk))
            .select_related("actor")[:10],
            "custom_values": [(d.label, contact.custom_fields.get(d.key)) for d in definitions
                              if contact.custom_fields.get(d.key) not in (None, "")],
        }


class ContactCreateView(ObjectEditView):
    form_class = ContactForm
    template_name = "contacts/contact_form.html"
    permission = Op.CONTACT_EDIT
    heading = "New contact"
    success_message = "Contact {object} created."

    def get_initial(self):
        client = self.request.GET.get("client", "")
        if client.isdigit():
            found = Client.objects.filter(msp=self.msp, pk=int(client)).not_archived().first()
            if found is not None:
                return {"client": found}
        return {}

    def get_cancel_url(self):
        return self.safe_next(reverse("contacts:list"))


class ContactEditView(ObjectEditView):
    form_class = ContactForm
    template_name = "contacts/contact_form.html"
    permission = Op.CONTACT_EDIT

    def get_object(self):
        return contact_get(msp=self.msp, pk=self.kwargs["pk"])


class ContactMakePrimaryView(ObjectActionView):
    write_permission = Op.CONTACT_EDIT

    def get_object(self):
        return contact_get(msp=self.msp, pk=self.kwargs["pk"])

    def perform(self, contact):
        contact_make_primary(msp=self.msp, contact=contact, actor=self.request.user)
        return f"{contact} is now the primary contact of {contact.client}."


class ContactSetActiveView(ObjectActionView):
    """POST active=0 marks the contact inactive (portal access ends), active=1 back."""

    write_permission = Op.CONTACT_EDIT

    def get_object(self):
        return contact_get(msp=self.msp, pk=self.kwargs["pk"])

    def perform(self, contact):
        active = self.request.POST.get("active") == "1"
        contact_update(msp=self.msp, contact=contact, actor=self.request.user, is_active=active)
        return f"{contact} is now {'active' if active else 'inactive'}."


