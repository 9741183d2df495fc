import django_filters
from django.db.models import Q

from accounts.models import User
from clients.models import Client
from contacts.models import Contact
from opsmerge.filtersets import MspFilterSet, msp_queryset
from sites.models import Site

from .models import Ticket


class TicketFilterSet(MspFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    contact = django_filters.ModelChoiceFilter(queryset=msp_queryset(Contact))
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices)
    assigned_to = django_filters.ModelChoiceFilter(queryset=msp_queryset(User))
    site = django_filters.ModelChoiceFilter(queryset=msp_queryset(Site))
    source = django_filters.MultipleChoiceFilter(choices=Ticket.Source.choices)
    is_open = django_filters.BooleanFilter(method="filter_is_open", label="Open")

    class Meta:
        model = Ticket
        fields = ["q", "client", "contact", "status", "priority", "assigned_to", "site", "source", "is_open"]

    def filter_q(self, queryset, name, value):
        value = value.strip().lstrip("#")
        if not value:
            return queryset
        query = Q(subject__icontains=value)
        if value.isdigit() and len(value) < 10:
            query |= Q(number=int(value))
        return queryset.filter(query)

    def filter_is_open(self, queryset, name, value):
        if value is None:
            return queryset
        open_q = Q(status__in=Ticket.OPEN_STATUSES)
        return queryset.filter(open_q if value else ~open_q)
