"""/api/v1/assets/ (read-only): assets are written by the Microsoft 365 sync and
imports, which own their rules."""

from __future__ import annotations

from rest_framework import mixins, serializers

from assets.filtersets import AssetFilterSet
from assets.models import Asset

from ..views import MspViewSet


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["id", "client", "site", "contact", "name", "kind", "os", "os_version", "manufacturer", "model",
                  "serial_number", "is_managed", "is_compliant", "is_active", "last_seen_at", "source",
                  "m365_tenant", "created_at", "updated_at"]
        read_only_fields = fields


class AssetViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Asset._base_manager.none()  # for the schema generator only
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    ordering_fields = ["name", "last_seen_at", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return Asset.objects.filter(msp=self.msp)
