"""Inbound email (issue 17): one IMAP mailbox per MSP, every message seen recorded
once (InboundMessage, unique per MSP + Message-ID), and monitoring alerts keyed to
the ticket they opened (AlertTicket)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.crypto import EncryptedCharField
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class Mailbox(MspOwnedModel):
    """The MSP's support mailbox, polled over IMAP. UIDs are remembered with the
    folder's UIDVALIDITY: a re-run fetches only UIDs above `last_uid`, and a changed
    UIDVALIDITY starts over (Message-IDs already recorded are skipped)."""

    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    use_tls = models.BooleanField("TLS (IMAPS)", default=True)
    username = models.CharField(max_length=255)
    password = EncryptedCharField(blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    address = models.EmailField("Support address", blank=True,
                                help_text="The address customers write to; mail from it is never a ticket.")
    is_active = models.BooleanField("Polling on", default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp"], name="mailbox_one_per_msp")]

    def __str__(self):
        return f"{self.username}@{self.host}"


class InboundMessage(MspOwnedModel):
    """One email received (IMAP or webhook), whatever became of it."""

    class Status(models.TextChoices):
        TICKET = "ticket", "New ticket"
        REPLY = "reply", "Threaded reply"
        TRIAGE = "triage", "Ticket in triage"
        IGNORED = "ignored", "Ignored (auto-reply / bounce)"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP"
        WEBHOOK = "webhook", "Webhook"

    message_id = models.CharField(max_length=255)
    source = models.CharField(max_length=8, choices=Source.choices)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    from_address = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.TextField(blank=True)
    ticket = TenantForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    comment = TenantForeignKey("tickets.TicketComment", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["msp", "message_id"], name="inboundmessage_msp_message_id")]
        indexes = [models.Index(fields=["msp", "status", "-received_at"], name="inboundmessage_msp_status")]

    def __str__(self):
        return f"{self.from_address}: {self.subject}"


class AlertTicket(MspOwnedModel):
    """The ticket a monitoring alert opened: later alerts with the same key comment
    on it while it is open; a "resolved" alert resolves it."""

    client = TenantForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    alert_key = models.CharField(max_length=255)
    ticket = TenantForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    source_name = models.CharField(max_length=100, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "ticket"], name="alertticket_one_per_ticket")]
        indexes = [models.Index(fields=["msp", "client", "alert_key"], name="alertticket_msp_client_key")]


class Announcement(MspOwnedModel):
    """General announcement to the primary contacts of a set of clients (seed 000:
    the primary contact "receives general announcements"); one recipient row per
    address, marked when sent, so a re-run of the sending job sends each once."""

    subject = models.CharField(max_length=200)
    body = models.TextField()
    client_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject


class AnnouncementRecipient(MspOwnedModel):
    announcement = TenantForeignKey(Announcement, on_delete=models.CASCADE, related_name="recipients")
    contact = TenantForeignKey("contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "announcement", "email"],
                                               name="announcementrecipient_once")]
        indexes = [models.Index(fields=["msp", "announcement", "sent_at"], name="announcementrecipient_pending")]
