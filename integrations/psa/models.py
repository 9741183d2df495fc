"""PSA integration state: one connection per product per MSP, link rows between PSA
records and OpsMerge records (written BEFORE a remote create, with an idempotency
marker, so a killed worker's re-run finds its create instead of repeating it), field
conflicts for a human, and run history (the shape of m365.SyncRun)."""

import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.crypto import EncryptedCharField
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey

# Who owns a field: its value flows only from the owner; "both" flows either way and a
# change on both sides since the last sync becomes a Conflict.
OWNER_CHOICES = [("psa", "PSA"), ("opsmerge", "OpsMerge"), ("both", "Both (conflicts for review)")]
COMPANY_SYNC_FIELDS = ("name", "phone", "website", "street", "city", "region", "postcode", "country")
CONTACT_SYNC_FIELDS = ("first_name", "last_name", "email", "phone", "mobile", "title")
DEFAULT_OWNERSHIP = {
    "company": {"name": "psa", "street": "psa", "city": "psa", "region": "psa", "postcode": "psa", "country": "psa",
                "phone": "both", "website": "both"},
    "contact": {"first_name": "both", "last_name": "both", "email": "both", "phone": "both", "mobile": "both",
                "title": "both"},
}


def default_ownership() -> dict:
    return json.loads(json.dumps(DEFAULT_OWNERSHIP))


def new_marker() -> str:
    return secrets.token_hex(6)


class PsaConnection(MspOwnedModel):
    """The MSP's account in one PSA product. Secrets (credential fields marked secret)
    are kept encrypted and never rendered back."""

    class Status(models.TextChoices):
        UNTESTED = "untested", "Not tested"
        OK = "ok", "Connected"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused"

    class Stage(models.TextChoices):
        REVIEW = "review", "Match review"
        SYNCING = "syncing", "Syncing"

    kind = models.CharField(max_length=20)
    base_url = models.URLField("API URL", max_length=255)
    credentials = models.JSONField(default=dict, blank=True, help_text="The non-secret credential fields.")
    secrets = EncryptedCharField(blank=True)  # JSON of the secret credential fields
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNTESTED)
    status_message = models.CharField(max_length=255, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.REVIEW)
    enabled = models.BooleanField(default=True, help_text="Sync on the schedule.")
    import_new = models.BooleanField(
        "Import new PSA companies", default=True,
        help_text="After the first review, companies added in the PSA become OpsMerge clients automatically.")
    push_new_contacts = models.BooleanField(default=True, help_text="Create OpsMerge contacts in the PSA.")
    sync_tickets = models.BooleanField(default=True, help_text="Create tickets of linked clients in the PSA.")
    ownership = models.JSONField(default=default_ownership, blank=True)
    page_size = models.PositiveSmallIntegerField(null=True, blank=True,
                                                 help_text="Page size to ask for; blank = the product's default.")
    interval_minutes = models.PositiveIntegerField(default=15)
    companies_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    contacts_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    tickets_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "PSA connection"
        constraints = [models.UniqueConstraint(fields=["msp", "kind"], name="psaconnection_one_per_kind")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        from .connectors import CONNECTORS

        cls = CONNECTORS.get(self.kind)
        return cls.label if cls else self.kind

    def owner(self, entity: str, field: str) -> str:
        return (self.ownership or {}).get(entity, {}).get(field) or DEFAULT_OWNERSHIP[entity].get(field, "both")


class CompanyLink(MspOwnedModel):
    """A PSA company and the client it is (or may be) linked to. `remote` holds the
    PSA's neutral fields as last read; `base` the values both sides agreed on at the
    last sync (the common ancestor of a three-way comparison)."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "Suggested match"
        UNMATCHED = "unmatched", "Not matched"
        LINKED = "linked", "Linked"
        IGNORED = "ignored", "Ignored"
        PUSHING = "pushing", "Being created in the PSA"

    connection = TenantForeignKey(PsaConnection, on_delete=models.CASCADE, related_name="companies")
    external_id = models.CharField(max_length=64, blank=True)
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="psa_links")
    suggested_client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.UNMATCHED)
    match_reason = models.CharField(max_length=20, blank=True)  # id / domain / name / manual / import / push
    name = models.CharField(max_length=255, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    active = models.BooleanField(default=True)
    remote = models.JSONField(default=dict, blank=True)
    base = models.JSONField(default=dict, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    marker = models.CharField(max_length=20, default=new_marker, editable=False,
                              help_text="Idempotency key of a create we send to the PSA.")
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "connection", "external_id"], condition=~models.Q(external_id=""),
                                    name="psacompanylink_unique_remote"),
            models.UniqueConstraint(fields=["msp", "connection", "client"], condition=models.Q(client__isnull=False),
                                    name="psacompanylink_one_per_client"),
        ]
        indexes = [models.Index(fields=["msp", "connection", "state", "name"], name="psacompanylink_state")]

    def __str__(self):
        return self.name or self.external_id


class ContactLink(MspOwnedModel):
    class State(models.TextChoices):
        LINKED = "linked", "Linked"
        PUSHING = "pushing", "Being created in the PSA"

    connection = TenantForeignKey(PsaConnection, on_delete=models.CASCADE, related_name="contacts")
    company = TenantForeignKey(CompanyLink, on_delete=models.CASCADE, related_name="contacts")
    contact = TenantForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="psa_links")
    external_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LINKED)
    remote = models.JSONField(default=dict, blank=True)
    base = models.JSONField(default=dict, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["msp", "connection", "external_id"], condition=~models.Q(external_id=""),
                                    name="psacontactlink_unique_remote"),
            models.UniqueConstraint(fields=["msp", "connection", "contact"], condition=models.Q(contact__isnull=False),
                                    name="psacontactlink_one_per_contact"),
        ]
        indexes = [models.Index(fields=["msp", "company"], name="psacontactlink_company")]


class TicketLink(MspOwnedModel):
    """A ticket raised in OpsMerge and created in the PSA. Written before the create
    (state pushing, marker), completed with the PSA's id after it."""

    connection = TenantForeignKey(PsaConnection, on_delete=models.CASCADE, related_name="tickets")
    ticket = TenantForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="psa_links")
    external_id = models.CharField(max_length=64, blank=True)
    marker = models.CharField(max_length=20, default=new_marker, editable=False)
    remote_status = models.CharField(max_length=20, blank=True)
    error = models.CharField(max_length=255, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["msp", "connection", "ticket"], name="psaticketlink_one_per_ticket"),
            models.UniqueConstraint(fields=["msp", "connection", "external_id"], condition=~models.Q(external_id=""),
                                    name="psaticketlink_unique_remote"),
        ]


class Conflict(MspOwnedModel):
    """A field changed on both sides since the last sync: nothing is overwritten until
    a person chooses."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    connection = TenantForeignKey(PsaConnection, on_delete=models.CASCADE, related_name="conflicts")
    entity = models.CharField(max_length=10)  # company / contact
    company = TenantForeignKey(CompanyLink, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = TenantForeignKey(ContactLink, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=40)
    ours = models.TextField(blank=True)
    theirs = models.TextField(blank=True)
    base_value = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.CharField(max_length=10, blank=True)  # ours / theirs
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "entity", "company", "contact", "field"],
                                    condition=models.Q(state="open"), nulls_distinct=False,
                                    name="psaconflict_one_open_per_field"),
        ]
        indexes = [models.Index(fields=["msp", "connection", "state"], name="psaconflict_open")]


class PsaSyncRun(MspOwnedModel):
    """One sync of one connection (the shape of m365.SyncRun)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now"
        SCHEDULE = "schedule", "Schedule"
        CONNECT = "connect", "After connect"
        COMMAND = "command", "Command line"

    connection = TenantForeignKey(PsaConnection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    full = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    requests = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    worker = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["msp", "connection", "-created_at"], name="psasyncrun_conn_created")]

    @property
    def badge(self) -> str:
        return {"queued": "badge-info", "running": "badge-accent", "succeeded": "badge-success",
                "failed": "badge-danger", "skipped": "badge-warning"}[self.status]

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None
