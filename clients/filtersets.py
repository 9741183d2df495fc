import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import User
from opsmerge.filtersets import MspFilterSet, msp_queryset

from .models import Client, ClientDomain, ClientTag, Tag


class ClientFilterSet(MspFilterSet):
    """Filters of the clients list (web and API). Archived clients are hidden unless
    the status filter asks for them."""

    list_key = "clients"

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=Client.Status.choices, method="filter_status")
    tag = django_filters.ModelMultipleChoiceFilter(
        queryset=msp_queryset(Tag), to_field_name="name", method="filter_tag", label="Tag"
    )
    account_manager = django_filters.ModelChoiceFilter(queryset=msp_queryset(User, is_active=True))
    industry = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Client
        fields = ["q", "status", "tag", "account_manager", "industry"]

    @property
    def qs(self):
        qs = super().qs
        if not self.form.cleaned_data.get("status"):
            qs = qs.exclude(status=Client.Status.ARCHIVED)
        return qs

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Uncorrelated: one trigram-indexed pass over the domains, then a hashed lookup.
        domains = ClientDomain.objects.filter(domain__icontains=value).values("client_id")
        return queryset.filter(Q(name__icontains=value) | Q(pk__in=domains))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=value) if value else queryset

    @extend_schema_field(OpenApiTypes.STR)  # each value is a tag name (API schema)
    def filter_tag(self, queryset, name, value):
        for tag in value:  # every chosen tag must be present
            queryset = queryset.filter(Exists(ClientTag.objects.filter(client=OuterRef("pk"), tag=tag)))
        return queryset
