"""/api/v1/clients/: seed 001's customer endpoints over clients.selectors and
clients.services (the same code the web pages use)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import TechGroup, User
from accounts.permissions import Op
from clients.filtersets import ClientFilterSet
from clients.lifecycle import client_archive, client_delete_permanently, client_restore
from clients.merge import client_merge_start, client_merge_undo
from clients.models import Client, ClientMerge
from clients.selectors import client_list
from clients.services import client_create, client_update
from contacts.models import Contact
from integrations.m365.health import HEALTH_CHOICES, status_of
from integrations.m365.models import M365Tenant
from opsmerge.db import count_subquery

from ..fields import MspRelatedField, RelatedNamesField
from ..views import MspViewSet
from .m365 import M365TenantSerializer, TenantAssociateSerializer, tenant_associate


class PrimaryContactSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone"]
        read_only_fields = fields


class M365SummarySerializer(serializers.Serializer):
    licensed_users = serializers.IntegerField()
    licences_assigned = serializers.IntegerField(help_text="Paid licences assigned (free SKUs left out).")
    licences_bought = serializers.IntegerField(help_text="Paid licences bought (free SKUs left out).")
    lowest_secure_score_pct = serializers.FloatField(allow_null=True, help_text="The lowest tenant's, 0–100.")
    mfa_registered_pct = serializers.FloatField(allow_null=True)
    permissions_missing = serializers.ListField(child=serializers.CharField(),
                                                help_text="Application permissions to add for the full picture.")


class ClientSerializer(serializers.ModelSerializer):
    account_manager = MspRelatedField(model=User, filters={"is_active": True}, allow_null=True, required=False)
    tech_groups = MspRelatedField(model=TechGroup, many=True, required=False)
    domains = RelatedNamesField(attr="domain", max_length=253,
                                help_text="Email domains; the first is the primary domain.")
    tags = RelatedNamesField(attr="name", max_length=64)
    custom_fields = serializers.DictField(required=False, help_text="Values by custom field key.")
    primary_domain = serializers.CharField(read_only=True, allow_null=True)
    asset_count = serializers.IntegerField(read_only=True)
    open_ticket_count = serializers.IntegerField(read_only=True)
    m365_user_count = serializers.IntegerField(read_only=True, help_text="Active contacts synced from Microsoft 365.")
    tenant_count = serializers.IntegerField(source="m365_tenant_count", read_only=True,
                                            help_text="Microsoft 365 tenants of this customer.")
    total_users = serializers.IntegerField(source="m365_licensed_users", read_only=True,
                                           help_text="Licensed users summed over the customer's tenants (seed 001).")
    health_status = serializers.SerializerMethodField()
    m365_summary = serializers.SerializerMethodField()
    primary_contact = serializers.SerializerMethodField()
    m365_tenants = M365TenantSerializer(many=True, read_only=True)

    class Meta:
        model = Client
        fields = [
            "id", "name", "status", "industry", "time_zone", "priority_floor", "phone_country_code", "phone_number",
            "website", "street", "city", "postal_code", "state", "country", "notes", "account_manager", "psa_id",
            "is_compliance_tenant", "custom_fields", "domains", "tags", "tech_groups",
            "primary_domain", "primary_contact", "asset_count", "open_ticket_count", "m365_user_count",
            "tenant_count", "total_users", "health_status", "m365_summary", "m365_tenants",
            "archived_at", "archive_reason", "merged_into", "last_activity_at", "created_at", "updated_at",
        ]
        read_only_fields = ["archived_at", "archive_reason", "merged_into", "last_activity_at", "created_at",
                            "updated_at"]

    @extend_schema_field(serializers.ChoiceField(choices=HEALTH_CHOICES))
    def get_health_status(self, client) -> str:
        return status_of(client.m365_health_rank)  # the one rule (integrations.m365.health.RULES)

    @extend_schema_field(M365SummarySerializer)
    def get_m365_summary(self, client) -> dict:
        tenants = client.m365_tenants.all()
        licences = [sku for t in tenants for sku in t.licences or [] if not sku.get("free")]
        scores = [t.secure_score_pct for t in tenants if t.secure_score_pct is not None]
        mfa = [t for t in tenants if t.mfa_users]
        return {
            "licensed_users": client.m365_licensed_users,
            "licences_assigned": sum(int(s.get("consumed") or 0) for s in licences),
            "licences_bought": sum(int(s.get("prepaid") or 0) for s in licences),
            "lowest_secure_score_pct": min(scores) if scores else None,
            "mfa_registered_pct": round(100 * sum(t.mfa_registered for t in mfa) / sum(t.mfa_users for t in mfa), 1)
            if mfa else None,
            "permissions_missing": sorted({p for t in tenants for p in (t.health_missing or {}).values()}),
        }

    @extend_schema_field(PrimaryContactSerializer(allow_null=True))
    def get_primary_contact(self, client):
        contacts = getattr(client, "primary_contacts", None)
        if contacts is None:
            contacts = list(client.contacts.filter(is_primary=True, deleted_at__isnull=True))
        return PrimaryContactSerializer(contacts[0]).data if contacts else None

    def create(self, validated_data):
        view = self.context["view"]
        return client_create(msp=view.msp, actor=view.actor, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        return client_update(msp=view.msp, client=instance, actor=view.actor, **validated_data)


def clients_for_api(*, msp):
    """client_list's annotated rows plus everything the serializer reads, in a
    constant number of queries whatever the page size."""
    return client_list(msp=msp, include_archived=True).annotate(
        m365_user_count=count_subquery(
            Contact.objects.filter(source=Contact.Source.M365, deleted_at__isnull=True, is_active=True), "client"),
    ).prefetch_related(
        "domains", "tags", "tech_groups", "m365_tenants",
        Prefetch("contacts", queryset=Contact.objects.filter(msp=msp, is_primary=True, deleted_at__isnull=True),
                 to_attr="primary_contacts"),
    )


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                   help_text="Kept in the activity log and shown in the archive view.")


class DeleteResultSerializer(serializers.Serializer):
    unassigned = serializers.DictField(child=serializers.IntegerField(),
                                       help_text="Records kept without a client, by kind.")
    deleted = serializers.DictField(child=serializers.IntegerField(), help_text="Records deleted, by kind.")


class MergeRequestSerializer(serializers.Serializer):
    sources = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                    min_length=1, max_length=50,
                                    help_text="Ids of the duplicate clients merged into this one (then archived).")
    primary_contact = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                               help_text="The contact that stays primary; default: the target's.")
    fields = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                   help_text="Field name → id of the client whose value wins.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ClientMergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientMerge
        fields = ["id", "target", "target_name", "source_ids", "source_names", "status", "preview", "moved", "error",
                  "created_at", "finished_at", "undone_at"]
        read_only_fields = fields


class ClientViewSet(MspViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                    mixins.UpdateModelMixin):
    """Customers (clients) of the MSP. Archived clients are listed only when asked
    for with `?status=archived`; every client is reachable by id."""

    queryset = Client._base_manager.none()  # for the schema generator only
    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet
    ordering_fields = ["name", "status", "created_at", "last_activity_at", "asset_count", "open_ticket_count",
                       "m365_tenant_count", "m365_licensed_users", "m365_health_rank"]
    ordering = ["name"]
    action_ops = {"archive": Op.CLIENT_ARCHIVE, "restore": Op.CLIENT_ARCHIVE, "destroy": Op.CLIENT_DELETE,
                  "merge": Op.CLIENT_MERGE,
                  ("tenants", "POST"): Op.M365_CONNECT}

    def get_queryset(self):
        return clients_for_api(msp=self.msp)

    def _fresh(self, client) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=client.pk)).data)

    @extend_schema(request=ArchiveSerializer, responses=ClientSerializer,
                   summary="Archive a client (stage 1, reversible; a no-op when already archived)")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        client = self.get_object()
        body = self.validated(ArchiveSerializer)
        client_archive(msp=self.msp, client=client, actor=self.actor, reason=body.get("reason", ""))
        return self._fresh(client)

    @extend_schema(request=None, responses=ClientSerializer, summary="Restore an archived client")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        client = self.get_object()
        client_restore(msp=self.msp, client=client, actor=self.actor)
        return self._fresh(client)

    @extend_schema(request=MergeRequestSerializer, responses={202: ClientMergeSerializer},
                   summary="Merge duplicate clients into this one (a job: poll /api/v1/client-merges/{id}/)")
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        target = self.get_object()
        data = self.validated(MergeRequestSerializer)
        wanted = list(dict.fromkeys(data["sources"]))
        sources = list(Client.objects.filter(msp=self.msp, pk__in=wanted))
        if len(sources) != len(wanted):
            raise serializers.ValidationError({"sources": ["Unknown client."]})
        merge = client_merge_start(msp=self.msp, target=target, sources=sources, actor=self.actor,
                                   choices={"fields": data.get("fields") or {},
                                            "primary_contact": data.get("primary_contact")},
                                   reason=data.get("reason", ""))
        return Response(ClientMergeSerializer(merge).data, status=202)

    @extend_schema(methods=["GET"], responses=M365TenantSerializer(many=True), filters=False,
                   summary="The client's Microsoft 365 tenants")
    @extend_schema(methods=["POST"], request=TenantAssociateSerializer, responses={201: M365TenantSerializer},
                   summary="Associate a Microsoft 365 tenant with this client",
                   description="A tenant imported from Microsoft 365 and waiting for a client is attached; any "
                               "other tenant is connected, which first proves with Microsoft that OpsMerge is "
                               "consented there. A tenant belongs to one client of the MSP.")
    @action(detail=True, methods=["get", "post"])
    def tenants(self, request, pk=None):
        client = self.get_object()
        if request.method == "GET":
            tenants = M365Tenant.objects.filter(msp=self.msp, client=client).order_by("display_name", "pk")
            return self.paginated(tenants, M365TenantSerializer)
        body = self.validated(TenantAssociateSerializer)
        tenant = tenant_associate(msp=self.msp, client=client, tenant_id=body["tenant_id"],
                                  actor=self.actor)
        return Response(M365TenantSerializer(tenant).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("typed_name", str, required=True,
                                     description="The client's exact name (case-sensitive), as confirmation.")],
        responses=DeleteResultSerializer,
        summary="Permanently delete an archived client (stage 2, Super Admin)",
        description="Only an archived client that passes every gate of the lifecycle rules (docs/lifecycle.md): "
                    "no outstanding invoices, not a compliance tenant, not merged, no connected Microsoft 365 "
                    "tenants. Returns what was unassigned and deleted.",
    )
    def destroy(self, request, pk=None):
        client = self.get_object()
        typed_name = request.query_params.get("typed_name")
        if typed_name is None and isinstance(request.data, dict):
            typed_name = request.data.get("typed_name")
        result = client_delete_permanently(msp=self.msp, client_id=client.pk, actor=self.actor,
                                           typed_name=str(typed_name or ""))
        return Response(result)

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)  # re-read with annotations

    def perform_update(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class ClientMergeViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Client merges: poll `status` (queued, running, done, failed, undone)."""

    queryset = ClientMerge._base_manager.none()  # for the schema generator only
    serializer_class = ClientMergeSerializer
    read_op = Op.CLIENT_MERGE
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    write_op = Op.CLIENT_MERGE

    def get_queryset(self):
        return ClientMerge.objects.filter(msp=self.msp)

    @extend_schema(request=None, responses=ClientMergeSerializer, summary="Undo a finished merge",
                   description="Puts back every row the merge changed, provided those rows still hold what "
                               "the merge gave them (else nothing changes: 400 with the reason). Rows created "
                               "after the merge stay where they are. Only a `done` merge can be undone.")
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        merge = client_merge_undo(msp=self.msp, merge=self.get_object(), actor=self.actor)
        return Response(ClientMergeSerializer(merge).data)
