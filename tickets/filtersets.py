import django_filters
from django import forms
from django.db.models import Q

from accounts.models import User
from clients.models import Client
from contacts.models import Contact
from opsmerge.filtersets import MspFilterSet, msp_queryset
from sites.models import Site

from .models import Ticket
from .sla.state import SLA_FILTER_CHOICES, filter_sla


class TicketFilterSet(MspFilterSet):
    list_key = "tickets"  # other apps add filters (the mail app's "Unassigned (no client)" triage queue)
    q = django_filters.CharFilter(method="filter_q", label="Search")
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    contact = django_filters.ModelChoiceFilter(queryset=msp_queryset(Contact))
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices)
    assigned_to = django_filters.ModelChoiceFilter(queryset=msp_queryset(User))
    site = django_filters.ModelChoiceFilter(queryset=msp_queryset(Site))
    source = django_filters.MultipleChoiceFilter(choices=Ticket.Source.choices)
    is_open = django_filters.BooleanFilter(method="filter_is_open", label="Open")
    sla = django_filters.ChoiceFilter(choices=SLA_FILTER_CHOICES, method="filter_sla", label="SLA",
                                      empty_label="Any SLA")

    class Meta:
        model = Ticket
        fields = ["q", "client", "contact", "status", "priority", "assigned_to", "site", "source", "is_open", "sla"]

    def filter_q(self, queryset, name, value):
        value = value.strip().lstrip("#")
        if not value:
            return queryset
        query = Q(subject__icontains=value)
        if value.isdigit() and len(value) < 10:
            query |= Q(number=int(value))
        return queryset.filter(query)

    def filter_sla(self, queryset, name, value):
        return filter_sla(queryset, value)

    def filter_is_open(self, queryset, name, value):
        if value is None:
            return queryset
        open_q = Q(status__in=Ticket.OPEN_STATUSES)
        return queryset.filter(open_q if value else ~open_q)


class _OneOf(forms.Select):
    """A single <select> for a multiple-choice filter (?status=open&status=new still works)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [v for v in values if v]


class TicketListFilterSet(TicketFilterSet):
    """The technicians' list page: one select per choice filter, and sites offered
    once a client is chosen (an MSP can have thousands)."""

    LIST_FILTERS = ("q", "status", "priority", "sla", "source", "client", "site", "assigned_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        for name, label in (("status", "Any status"), ("priority", "Any priority"), ("source", "Any source")):
            fields[name].widget = _OneOf(choices=[("", label), *fields[name].choices])
        client = self.form["client"].value() if self.is_bound else None
        site_qs = fields["site"].queryset
        fields["site"].queryset = site_qs.filter(client_id=client) if str(client or "").isdigit() else site_qs.none()
        fields["q"].widget.attrs["placeholder"] = "Subject or #number"
        for name, label in (("client", "Any client"), ("site", "Any site"), ("assigned_to", "Anyone")):
            fields[name].empty_label = label

    def shown_fields(self) -> list:
        """The bound fields of the filter bar, in order."""
        client_chosen = str(self.data.get("client", "")).isdigit()
        return [self.form[name] for name in self.LIST_FILTERS if name != "site" or client_chosen] + [
            self.form[entry.name] for entry in self.registered_filters()]
