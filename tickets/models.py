from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.files import MspUploadTo
from opsmerge.tenancy import MspOwnedModel, MspQuerySet, TenantForeignKey, msp_manager


class TicketSequence(MspOwnedModel):
    """Per-MSP ticket counter; tickets.services takes the next number with one
    UPDATE … RETURNING, so concurrent creates never share a number."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp"], name="ticketsequence_one_per_msp")]


class TicketQuerySet(MspQuerySet):
    def with_sla(self):
        """Tickets with their SLA due times (`first_response_due`, `resolution_due`,
        NULL without a target) from TicketSlaDue, one LEFT JOIN."""
        return self.annotate(first_response_due=models.F("sla_due__first_response_due"),
                             resolution_due=models.F("sla_due__resolution_due"))


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

    class Level(models.TextChoices):
        """Impact and urgency of the priority matrix (tickets.sla.priority)."""

        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
    # The resolution clock stops in these (waiting on the customer, or done); reopening
    # resumes it with the stopped time not counted (tickets.sla.services).
    SLA_PAUSED_STATUSES = (Status.WAITING, Status.RESOLVED, Status.CLOSED)

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
    # SLA (docs/tickets.md "SLA"): the clock's inputs, written only by tickets.sla.services;
    # the due times computed from them are in TicketSlaDue (Ticket.objects.with_sla()).
    impact = models.CharField(max_length=6, choices=Level.choices, blank=True)
    urgency = models.CharField(max_length=6, choices=Level.choices, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Since when the resolution clock is stopped."
    )
    sla_paused_seconds = models.PositiveIntegerField(
        default=0, editable=False, help_text="Business seconds the resolution clock was stopped (pushes its due time)."
    )

    objects = msp_manager(TicketQuerySet)

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


class TicketSlaDue(MspOwnedModel):
    """The SLA due times of one ticket, computed by tickets.sla.recompute from the
    ticket's clock inputs. A narrow table of its own, with no index on the due times and
    a fillfactor of 50 (migration 0005), so a recompute of 100,000 tickets rewrites
    small rows in place (HOT updates) instead of maintaining the ticket table's many
    indexes (decision 1100)."""

    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_due")
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SLA due times"
        verbose_name_plural = "SLA due times"
        constraints = [models.UniqueConstraint(fields=["msp", "ticket"], name="ticketsladue_one_per_ticket")]


PRIORITY_TARGET_FIELDS = {
    kind: {p: f"{kind}_{p}_minutes" for p in Ticket.Priority.values} for kind in ("first_response", "resolution")
}


def _target(label: str):
    return models.PositiveIntegerField(null=True, blank=True, help_text=f"{label}, in minutes; blank: no target.")


class SlaPolicy(MspOwnedModel):
    """Targets per priority for the first response and the resolution of a ticket.
    The row without a client is the MSP's default; a client's row overrides it for
    that client's tickets and is deleted with the client (seed 003)."""

    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="sla_policies")
    business_hours = models.BooleanField(
        "Count business hours only", default=True,
        help_text="Count only the client's business hours (its site's, if the site has its own), skipping "
                  "holidays. Off: the clock runs around the clock (24×7).")
    first_response_low_minutes = _target("First response, low")
    first_response_normal_minutes = _target("First response, normal")
    first_response_high_minutes = _target("First response, high")
    first_response_urgent_minutes = _target("First response, urgent")
    resolution_low_minutes = _target("Resolution, low")
    resolution_normal_minutes = _target("Resolution, normal")
    resolution_high_minutes = _target("Resolution, high")
    resolution_urgent_minutes = _target("Resolution, urgent")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["msp", "client"], nulls_distinct=False, name="slapolicy_one_per_client"),
        ]

    def __str__(self):
        return f"SLA policy of {self.client}" if self.client_id else "Default SLA policy"

    def target_minutes(self, kind: str, priority: str) -> int | None:
        return getattr(self, PRIORITY_TARGET_FIELDS[kind][priority])


class SlaSettings(MspOwnedModel):
    """The MSP's SLA settings beside its default policy: the priority matrix (impact ×
    urgency → priority) and when breach warnings go out."""

    priority_matrix = models.JSONField(default=dict, blank=True,
                                       help_text='{"impact:urgency": priority}; missing cells use the built-in default.')
    warn_before_minutes = models.PositiveIntegerField(
        default=30, help_text="Warn the assignee this many minutes before a due time (and again at breach).")
    notify_email = models.EmailField(
        blank=True, help_text="Warnings of unassigned tickets go here (blank: the MSP's support email, else its admins).")

    class Meta:
        verbose_name = verbose_name_plural = "SLA settings"
        constraints = [models.UniqueConstraint(fields=["msp"], name="slasettings_one_per_msp")]


class SlaWarning(MspOwnedModel):
    """One warning sent for one clock of one ticket at one threshold and due time: the
    unique key makes the beat task idempotent (a due time pushed by a pause gets its own)."""

    class Clock(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        RESOLUTION = "resolution", "Resolution"

    class Threshold(models.TextChoices):
        SOON = "soon", "Due soon"
        BREACHED = "breached", "Breached"

    ticket = TenantForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_warnings")
    clock = models.CharField(max_length=16, choices=Clock.choices)
    threshold = models.CharField(max_length=8, choices=Threshold.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "SLA warning"
        constraints = [
            models.UniqueConstraint(fields=["msp", "ticket", "clock", "threshold", "due_at"],
                                    name="slawarning_once_per_threshold"),
        ]
