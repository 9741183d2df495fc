"""/api/v1/tickets/: read, create, update (status, priority, assignee) and comment,
over tickets.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import Op
from assets.models import Asset
from clients.models import Client
from contacts.models import Contact
from sites.models import Site
from tickets.filtersets import TicketFilterSet
from tickets.models import Ticket, TicketComment
from tickets.services import ticket_comment_add, ticket_create, ticket_update
from tickets.sla.state import is_breached

from ..fields import MspRelatedField
from ..views import MspViewSet

# Written by the SLA clock only (docs/tickets.md "SLA").
SLA_READ_ONLY = ["first_response_due", "resolution_due", "first_responded_at", "sla_paused_at"]


class TicketSerializer(serializers.ModelSerializer):
    client = MspRelatedField(model=Client, allow_null=True, required=False)
    contact = MspRelatedField(model=Contact, filters={"deleted_at__isnull": True}, allow_null=True, required=False)
    site = MspRelatedField(model=Site, allow_null=True, required=False)
    asset = MspRelatedField(model=Asset, allow_null=True, required=False)
    assigned_to = MspRelatedField(model=User, filters={"is_active": True}, allow_null=True, required=False)
    first_response_due = serializers.DateTimeField(read_only=True, default=None)
    resolution_due = serializers.DateTimeField(read_only=True, default=None)
    sla_breached = serializers.SerializerMethodField(help_text="A first-response or resolution clock is past due.")

    class Meta:
        model = Ticket
        fields = ["id", "number", "client", "contact", "site", "asset", "subject", "description", "status",
                  "priority", "impact", "urgency", "source", "assigned_to", "created_by", "created_at", "updated_at",
                  "resolved_at", *SLA_READ_ONLY, "sla_breached"]
        read_only_fields = ["number", "status", "source", "created_by", "created_at", "updated_at", "resolved_at",
                            "first_responded_at", "sla_paused_at"]

    def get_sla_breached(self, ticket) -> bool:
        return is_breached(ticket)

    def create(self, validated_data):
        view = self.context["view"]
        return ticket_create(msp=view.msp, actor=view.actor, source=Ticket.Source.API, **validated_data)


class TicketUpdateSerializer(serializers.Serializer):
    """What a technician changes on a ticket; send only the fields to change."""

    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False,
                                     help_text="resolved/closed set `resolved_at`; reopening clears it.")
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    impact = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, allow_blank=True,
                                     help_text="With urgency, re-applies the MSP's priority matrix.")
    urgency = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, allow_blank=True)
    assigned_to = MspRelatedField(model=User, filters={"is_active": True}, allow_null=True, required=False,
                                  help_text="An active technician of the MSP; null unassigns.")


class TicketCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketComment
        fields = ["id", "ticket", "body", "is_internal", "author_user", "author_contact", "created_at"]
        read_only_fields = ["ticket", "author_user", "author_contact", "created_at"]


class TicketViewSet(MspViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin):
    queryset = Ticket._base_manager.none()  # for the schema generator only
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    write_op = Op.TICKET_WORK
    ordering_fields = ["number", "created_at", "updated_at", "priority", "status"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return Ticket.objects.filter(msp=self.msp).with_sla()

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer,
                   summary="Change a ticket's status, priority or assignee")
    def partial_update(self, request, pk=None):
        ticket = self.get_object()
        ticket = ticket_update(msp=self.msp, ticket=ticket, actor=self.actor, **self.validated(TicketUpdateSerializer))
        return Response(TicketSerializer(ticket, context=self.get_serializer_context()).data)

    def get_serializer_class(self):
        return TicketCommentSerializer if self.action == "comments" else TicketSerializer

    @extend_schema(methods=["GET"], responses=TicketCommentSerializer(many=True), filters=False,
                   summary="List a ticket's comments (oldest first)")
    @extend_schema(methods=["POST"], request=TicketCommentSerializer, responses={201: TicketCommentSerializer},
                   summary="Add a comment to a ticket")
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            return self.paginated(TicketComment.objects.filter(msp=self.msp, ticket=ticket).order_by(
                "created_at", "pk"), TicketCommentSerializer)
        serializer = TicketCommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        comment = ticket_comment_add(msp=self.msp, ticket=ticket, author_user=self.actor_user,
                                     **serializer.validated_data)
        return Response(TicketCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
