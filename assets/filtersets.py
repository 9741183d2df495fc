import django_filters
from django.db.models import Q

from clients.models import Client
from contacts.models import Contact
from opsmerge.filtersets import MspFilterSet, msp_queryset
from sites.models import Site

from .models import Asset


class AssetFilterSet(MspFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    site = django_filters.ModelChoiceFilter(queryset=msp_queryset(Site))
    contact = django_filters.ModelChoiceFilter(queryset=msp_queryset(Contact))
    kind = django_filters.MultipleChoiceFilter(choices=Asset.Kind.choices)
    is_active = django_filters.BooleanFilter()
    is_managed = django_filters.BooleanFilter()

    class Meta:
        model = Asset
        fields = ["q", "client", "site", "contact", "kind", "is_active", "is_managed"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(serial_number__iexact=value) | Q(model__icontains=value))
