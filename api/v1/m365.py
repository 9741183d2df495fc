"""Microsoft 365 over the API: associate a tenant with a client (seed 001), list
tenants, trigger a sync and poll its run — all through integrations.m365.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import Op
from integrations.m365 import services
from integrations.m365.errors import Kind, M365Error
from integrations.m365.filtersets import M365TenantFilterSet, SyncRunFilterSet
from integrations.m365.models import M365Tenant, SyncRun
from integrations.m365.services import sync_enqueue

from ..views import MspViewSet

# Failures the caller can fix (consent, wrong tenant) vs Microsoft being unavailable.
_CALLER_KINDS = {Kind.CONSENT_DECLINED, Kind.RECONNECT, Kind.TENANT_NOT_FOUND, Kind.NOT_VERIFIED, Kind.PERMISSION,
                 Kind.CLIENT_ARCHIVED}


class MicrosoftUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "m365_unavailable"


class LicenceSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="skuPartNumber, e.g. SPB.")
    name = serializers.CharField(help_text="Microsoft's product name, e.g. Microsoft 365 Business Premium.")
    consumed = serializers.IntegerField(help_text="Units assigned.")
    prepaid = serializers.IntegerField(help_text="Units bought and enabled.")
    warning = serializers.IntegerField(help_text="Units in their grace period.")
    suspended = serializers.IntegerField()
    free = serializers.BooleanField(required=False, help_text="A free SKU (left out of totals).")


class M365TenantSerializer(serializers.ModelSerializer):
    licences = LicenceSerializer(many=True, read_only=True)
    secure_score_trend = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2), read_only=True,
        help_text="[[date, percent]] of the last 30 Secure Score snapshots, oldest first.")
    health_missing = serializers.DictField(
        child=serializers.CharField(), read_only=True,
        help_text="Parts Microsoft refused → the Application permission to add (e.g. secure_score → "
                  "SecurityEvents.Read.All).")

    class Meta:
        model = M365Tenant
        fields = ["id", "client", "tenant_id", "display_name", "default_domain", "consent_state", "health_message",
                  "connected_at", "last_sync_at", "sync_users", "sync_devices", "sync_intune", "created_at",
                  "licensed_users", "licences", "secure_score", "secure_score_max", "secure_score_pct",
                  "secure_score_trend", "mfa_registered", "mfa_users", "health_missing", "health_error",
                  "health_refreshed_at"]
        read_only_fields = fields


class TenantAssociateSerializer(serializers.Serializer):
    tenant_id = serializers.UUIDField(help_text="The Entra tenant id (GUID).")


def tenant_associate(*, msp, client, tenant_id, actor) -> M365Tenant:
    """integrations.m365.services.tenant_associate, with Microsoft's answers as API
    errors: what the caller can fix is a 400 on `tenant_id`, the rest a 503."""
    try:
        return services.tenant_associate(msp=msp, client=client, tenant_id=str(tenant_id), actor=actor)
    except M365Error as exc:
        if exc.kind in _CALLER_KINDS:
            raise exceptions.ValidationError({"tenant_id": [exc.friendly]}, code=exc.code) from None
        raise MicrosoftUnavailable(exc.friendly) from None


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = ["id", "tenant", "client", "trigger", "full", "status", "phase", "progress", "counts",
                  "error_code", "error_message", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class SyncRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(default=False, help_text="Full listing instead of a delta.")


class M365TenantViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Microsoft 365 tenants of the MSP's clients."""

    queryset = M365Tenant._base_manager.none()  # for the schema generator only
    serializer_class = M365TenantSerializer
    filterset_class = M365TenantFilterSet
    action_ops = {"sync": Op.M365_SYNC}
    ordering_fields = ["display_name", "last_sync_at", "created_at"]
    ordering = ["display_name"]

    def get_queryset(self):
        return M365Tenant.objects.filter(msp=self.msp)

    @extend_schema(request=SyncRequestSerializer, responses={202: SyncRunSerializer},
                   summary="Start a sync now (or return the one already queued or running)")
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        tenant = self.get_object()
        body = self.validated(SyncRequestSerializer)
        run = sync_enqueue(msp=self.msp, tenant=tenant, trigger=SyncRun.Trigger.MANUAL,
                           full=body["full"], actor=self.actor_user)
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SyncRunViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Microsoft 365 sync runs: poll `status`, `phase` and `progress` until finished."""

    queryset = SyncRun._base_manager.none()  # for the schema generator only
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return SyncRun.objects.filter(msp=self.msp)
