"""/api/v1/assets/: read, and PATCH of the fields technicians own. Microsoft 365 (and
Intune) own the identity fields of the assets they sync (integrations.m365.mapping);
on those assets such fields are read-only here, as the sync would overwrite them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from accounts.permissions import Op
from assets.filtersets import AssetFilterSet
from assets.models import Asset
from assets.services import ASSET_FIELDS, asset_update
from clients.models import Client
from contacts.models import Contact
from integrations.m365.mapping import ASSET_OWNED, INTUNE_OWNED
from sites.models import Site

from ..fields import MspRelatedField
from ..views import MspViewSet


def _fields(attnames) -> frozenset[str]:
    return frozenset(name.removesuffix("_id") for name in attnames) & frozenset(ASSET_FIELDS)


M365_OWNED = _fields(ASSET_OWNED)
INTUNE_MANAGED = _fields(INTUNE_OWNED)


def m365_owned_fields(asset: Asset) -> frozenset[str]:
    """The writable fields the sync owns on this asset: Entra ID's for a device it
    lists, Intune's for a device Intune manages; none for manual or imported assets."""
    return (M365_OWNED if asset.m365_object_id else frozenset()) | (
        INTUNE_MANAGED if asset.intune_id else frozenset())


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["id", "client", "site", "contact", "name", "kind", "os", "os_version", "manufacturer", "model",
                  "serial_number", "is_managed", "is_compliant", "is_active", "last_seen_at", "source",
                  "m365_tenant", "created_at", "updated_at"]
        read_only_fields = fields


class AssetUpdateSerializer(serializers.ModelSerializer):
    """Send only the fields to change. On assets synced from Microsoft 365 the fields
    it owns (name, OS, make and model, managed/active; serial, make, model and user for
    Intune-managed devices) answer 400 when changed."""

    client = MspRelatedField(model=Client, allow_null=True, required=False,
                             help_text="An open (not archived) client; null unassigns.")
    site = MspRelatedField(model=Site, allow_null=True, required=False, help_text="A site of the asset's client.")
    contact = MspRelatedField(model=Contact, filters={"deleted_at__isnull": True}, allow_null=True, required=False,
                              help_text="The user of the asset: a contact of its client.")

    class Meta:
        model = Asset
        fields = list(ASSET_FIELDS)

    def validate(self, attrs):
        owned = m365_owned_fields(self.instance)
        errors = {name: "Microsoft 365 owns this field on a synced asset; change it there."
                  for name, value in attrs.items() if name in owned and value != getattr(self.instance, name)}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AssetViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Asset._base_manager.none()  # for the schema generator only
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    write_op = Op.CLIENT_EDIT
    ordering_fields = ["name", "last_seen_at", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return Asset.objects.filter(msp=self.msp)

    @extend_schema(request=AssetUpdateSerializer, responses=AssetSerializer,
                   summary="Change an asset's technician-owned fields (client, site, user, kind …)")
    def partial_update(self, request, pk=None):
        asset = self.get_object()
        body = AssetUpdateSerializer(asset, data=request.data, partial=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        asset = asset_update(msp=self.msp, asset=asset, actor=self.actor, **body.validated_data)
        return Response(AssetSerializer(asset).data)
