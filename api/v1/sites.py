"""/api/v1/sites/: a client's locations, over sites.services."""

from __future__ import annotations

from rest_framework import mixins, serializers

from clients.models import Client
from sites.filtersets import SiteFilterSet
from sites.models import Site
from sites.services import site_create, site_update

from ..fields import MspRelatedField
from ..views import MspViewSet


class SiteSerializer(serializers.ModelSerializer):
    client = MspRelatedField(model=Client, help_text="Fixed once the site exists.")

    class Meta:
        model = Site
        fields = ["id", "client", "name", "location", "is_hq", "time_zone", "street", "city", "postal_code", "state",
                  "country", "created_at"]
        read_only_fields = ["created_at"]

    def validate_client(self, client):
        if self.instance is not None and client.pk != self.instance.client_id:
            raise serializers.ValidationError("A site cannot move to another client.")
        return client

    def create(self, validated_data):
        view = self.context["view"]
        return site_create(msp=view.msp, actor=view.actor, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        validated_data.pop("client", None)
        return site_update(msp=view.msp, site=instance, actor=view.actor, **validated_data)


class SiteViewSet(MspViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                  mixins.UpdateModelMixin):
    queryset = Site._base_manager.none()  # for the schema generator only
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    ordering_fields = ["name", "created_at"]
    ordering = ["client_id", "-is_hq", "name"]

    def get_queryset(self):
        return Site.objects.filter(msp=self.msp).select_related("client")
