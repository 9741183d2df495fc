"""/api/v1/alerts/ (monitoring / RMM alert intake) and /api/v1/inbound-email/ (a raw
RFC 5322 message from an SMTP relay or mail provider), both with the MSP's API key."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from accounts.permissions import Op
from clients.models import Client
from integrations.mail.alerts import FIRING, RESOLVED, SEVERITY_PRIORITY, alert_receive
from integrations.mail.models import InboundMessage
from integrations.mail.services import inbound_receive

from ..fields import MspRelatedField
from ..views import MspViewSet


class AlertSerializer(serializers.Serializer):
    client = MspRelatedField(model=Client, help_text="The client the alert is about.")
    alert_key = serializers.CharField(max_length=255, help_text="Stable id of the alert in your tool: "
                                      "events with the same key update one ticket.")
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    severity = serializers.ChoiceField(choices=list(SEVERITY_PRIORITY), default="warning")
    status = serializers.ChoiceField(choices=[FIRING, RESOLVED], default=FIRING)
    source = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                   help_text="The tool's name, shown in the ticket (e.g. “NinjaOne”).")


class AlertResultSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["created", "updated", "resolved", "ignored"])
    ticket = serializers.IntegerField(allow_null=True)
    ticket_number = serializers.IntegerField(allow_null=True)


class AlertViewSet(MspViewSet):
    serializer_class = AlertSerializer
    write_op = Op.TICKET_WORK

    @extend_schema(request=AlertSerializer, responses={201: AlertResultSerializer, 200: AlertResultSerializer},
                   summary="Report a monitoring alert (opens, updates or resolves its ticket)")
    def create(self, request):
        data = self.validated(AlertSerializer)
        action, link = alert_receive(msp=self.msp, client=data["client"], alert_key=data["alert_key"],
                                     title=data["title"], description=data["description"],
                                     severity=data["severity"], status=data["status"], source_name=data["source"],
                                     actor=self.actor)
        body = {"action": action, "ticket": link.ticket_id if link else None,
                "ticket_number": link.ticket.number if link else None}
        return Response(body, status=status.HTTP_201_CREATED if action == "created" else status.HTTP_200_OK)


class RawMessageParser(BaseParser):
    """The body as bytes, at most MAIL_INBOUND_MAX_BYTES + 1 (the service records a
    larger message as failed)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(settings.MAIL_INBOUND_MAX_BYTES + 1) if stream is not None else b""


class InboundResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboundMessage.Status.choices)
    duplicate = serializers.BooleanField()
    reason = serializers.CharField()
    ticket = serializers.IntegerField(allow_null=True)
    ticket_number = serializers.IntegerField(allow_null=True)


class InboundEmailViewSet(MspViewSet):
    parser_classes = [RawMessageParser]
    write_op = Op.TICKET_WORK

    @extend_schema(request={"message/rfc822": {"type": "string", "format": "binary"}},
                   responses={201: InboundResultSerializer, 200: InboundResultSerializer},
                   examples=[OpenApiExample("A message", value="From: pat@client.example\r\nSubject: Help\r\n\r\n…",
                                            request_only=True, media_type="message/rfc822")],
                   summary="Deliver one raw email (RFC 5322), as an SMTP relay or mail provider would")
    def create(self, request):
        raw = request.data if isinstance(request.data, bytes) else b""
        if not raw.strip():
            raise serializers.ValidationError({"body": "Send the raw message as the body, "
                                                       "Content-Type: message/rfc822."})
        received = inbound_receive(msp=self.msp, raw=raw, source=InboundMessage.Source.WEBHOOK)
        row = received.message
        ticket = row.ticket
        return Response({"status": row.status, "duplicate": not received.created, "reason": row.reason,
                         "ticket": ticket.pk if ticket else None, "ticket_number": ticket.number if ticket else None},
                        status=status.HTTP_201_CREATED if received.created else status.HTTP_200_OK)



