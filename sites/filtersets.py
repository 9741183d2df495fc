import django_filters
from django.db.models import Q

from clients.models import Client
from opsmerge.filtersets import MspFilterSet, msp_queryset

from .models import Site


class SiteFilterSet(MspFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    is_hq = django_filters.BooleanFilter()

    class Meta:
        model = Site
        fields = ["q", "client", "is_hq"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(location__icontains=value) | Q(city__icontains=value))
