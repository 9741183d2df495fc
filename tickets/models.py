from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.files import MspUploadTo
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class TicketSequence(MspOwnedModel):
    """Per-MSP ticket counter; tickets.services takes the next number with one
    UPDATE … RETURNING, so concurrent creates never share a number."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp"], name="ticketsequence_one_per_msp")]


class Ticket(MspOwnedModel):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on client"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Source(models.TextChoices):
        PORTAL = "portal", "Portal"
        TECHNICIAN = "technician", "Technician"
        EMAIL = "email", "Email"
        API = "api", "API"
        ALERT = "alert", "Monitoring alert"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)

    number = models.PositiveIntegerField(editable=False)
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    contact = TenantForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    site = TenantForeignKey("sites.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    asset = TenantForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.TECHNICIAN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["msp", "number"], name="ticket_number_unique_per_msp")]
        indexes = [
            models.Index(fields=["msp", "client", "status"], name="ticket_msp_client_status"),
            models.Index(fields=["msp", "contact"], name="ticket_msp_contact"),
            models.Index(fields=["msp", "site"], name="ticket_msp_site"),
            models.Index(fields=["msp", "status", "-created_at"], name="ticket_msp_status_created"),
        ]

    def __str__(self):
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketComment(MspOwnedModel):
    """One message in a ticket's conversation, from a technician or the contact."""

    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = TenantForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_comments"
    )
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown in the portal.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["msp", "ticket", "created_at"], name="ticketcomment_msp_ticket")]


class TicketAttachment(MspOwnedModel):
    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = TenantForeignKey(TicketComment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=MspUploadTo("ticket-attachment"), max_length=255)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
