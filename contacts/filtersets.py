import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from clients.models import Client, Tag
from opsmerge.filtersets import MspFilterSet, msp_queryset

from .models import Contact, ContactTag

ROLE_CHOICES = [("primary", "Primary"), ("billing", "Billing"), ("portal", "Portal user"),
                ("technical", "Technical"), ("vip", "VIP")]
ROLE_FIELDS = {"primary": "is_primary", "billing": "is_billing", "portal": "is_portal_user",
               "technical": "is_technical", "vip": "is_vip"}


class ContactFilterSet(MspFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    kind = django_filters.ChoiceFilter(choices=Contact.Kind.choices, empty_label="Any")
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, method="filter_role", empty_label="Any")
    is_active = django_filters.BooleanFilter()
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    tag = django_filters.ModelMultipleChoiceFilter(
        queryset=msp_queryset(Tag), to_field_name="name", method="filter_tag", label="Tag"
    )

    class Meta:
        model = Contact
        fields = ["q", "kind", "role", "is_active", "client", "tag"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        digits = "".join(ch for ch in value if ch.isdigit())
        query = (Q(first_name__icontains=value) | Q(last_name__icontains=value) | Q(email__icontains=value)
                 | Q(organisation_name__icontains=value))
        if len(digits) >= 4:
            query |= Q(phone__contains=digits) | Q(mobile__contains=digits)
        return queryset.filter(query)

    def filter_role(self, queryset, name, value):
        return queryset.filter(**{ROLE_FIELDS[value]: True}) if value else queryset

    @extend_schema_field(OpenApiTypes.STR)  # each value is a tag name (API schema)
    def filter_tag(self, queryset, name, value):
        for tag in value:
            queryset = queryset.filter(Exists(ContactTag.objects.filter(contact=OuterRef("pk"), tag=tag)))
        return queryset
