import django_filters

from clients.models import Client
from opsmerge.filtersets import MspFilterSet, msp_queryset

from .models import M365Tenant, SyncRun


class M365TenantFilterSet(MspFilterSet):
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    consent_state = django_filters.MultipleChoiceFilter(choices=M365Tenant.ConsentState.choices)

    class Meta:
        model = M365Tenant
        fields = ["client", "consent_state"]


class SyncRunFilterSet(MspFilterSet):
    tenant = django_filters.ModelChoiceFilter(queryset=msp_queryset(M365Tenant))
    client = django_filters.ModelChoiceFilter(queryset=msp_queryset(Client))
    status = django_filters.MultipleChoiceFilter(choices=SyncRun.Status.choices)

    class Meta:
        model = SyncRun
        fields = ["tenant", "client", "status"]
