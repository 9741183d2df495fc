from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.crypto import EncryptedCharField
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class M365Tenant(MspOwnedModel):
    """A Microsoft 365 / Entra tenant connected to a client. A client may have several
    tenants; within an MSP a tenant belongs to exactly one client (seed 001)."""

    class ConsentState(models.TextChoices):
        PENDING = "pending", "Waiting for consent"
        CONNECTED = "connected", "Connected"
        RECONNECT_REQUIRED = "reconnect_required", "Reconnect required"
        DISCONNECTED = "disconnected", "Disconnected"

    # NULL while a tenant imported from Microsoft 365 waits to be given a client.
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="m365_tenants")
    class Source(models.TextChoices):
        GRAPH = "graph", "Microsoft Graph"
        CIPP = "cipp", "CIPP"

    tenant_id = models.UUIDField("Entra tenant id")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GRAPH,
                              help_text="Where the sync reads users and devices: Graph (admin consent) or the "
                                        "MSP's CIPP instance (docs/m365.md, CIPP as a source).")
    display_name = models.CharField(max_length=255, blank=True)
    default_domain = models.CharField(max_length=253, blank=True)
    verified_domains = models.JSONField(default=list, blank=True)
    consent_state = models.CharField(max_length=20, choices=ConsentState.choices, default=ConsentState.PENDING)
    health_message = models.CharField(max_length=255, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    sync_users = models.BooleanField(default=True)
    sync_devices = models.BooleanField(default=True)
    sync_intune = models.BooleanField(default=True)
    include_guests = models.BooleanField(default=False)
    include_disabled = models.BooleanField(default=True, help_text="Sync disabled users as inactive contacts.")
    include_service_accounts = models.BooleanField(
        default=False, help_text="Sync mailboxes such as svc-backup@ or scanner@ as contacts.")
    intune_available = models.BooleanField(null=True, blank=True, editable=False,
                                           help_text="Unknown until a sync has asked Intune.")
    users_delta_link = models.TextField(blank=True, editable=False)
    devices_delta_link = models.TextField(blank=True, editable=False)
    # managedDevices has no v1.0 delta: between complete listings a sync asks only for the
    # devices that checked in since the last listing began (see docs/m365.md).
    intune_listed_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the last successful Intune listing (complete or changes only) began.")
    intune_full_listed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the last complete Intune listing began.")
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Tenant health (integrations/m365/health.py), read with each sync and on its own
    # schedule. NULL = never read, or the permission is not granted (see health_missing).
    licensed_users = models.PositiveIntegerField(null=True, blank=True, editable=False,
                                                 help_text="Users with at least one assigned licence.")
    licences = models.JSONField(default=list, blank=True, editable=False,
                                help_text="[{sku, name, consumed, prepaid, warning, suspended}] from /subscribedSkus.")
    licences_over = models.PositiveSmallIntegerField(default=0, editable=False,
                                                     help_text="Licences with more units assigned than bought.")
    licences_warning = models.PositiveSmallIntegerField(default=0, editable=False,
                                                        help_text="Licences with units in their grace period.")
    licences_suspended = models.PositiveSmallIntegerField(default=0, editable=False,
                                                          help_text="Licences with suspended units.")
    secure_score = models.FloatField(null=True, blank=True, editable=False)
    secure_score_max = models.FloatField(null=True, blank=True, editable=False)
    secure_score_pct = models.FloatField(null=True, blank=True, editable=False, help_text="0–100.")
    secure_score_trend = models.JSONField(default=list, blank=True, editable=False,
                                          help_text="[[date, percent]] of the last 30 snapshots, oldest first.")
    mfa_registered = models.PositiveIntegerField(null=True, blank=True, editable=False)
    mfa_users = models.PositiveIntegerField(null=True, blank=True, editable=False)
    health_missing = models.JSONField(default=dict, blank=True, editable=False,
                                      help_text="{part: permission} of the parts Microsoft refused (403).")
    health_error = models.CharField(max_length=255, blank=True, editable=False)
    health_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "Microsoft 365 tenant"
        ordering = ["display_name"]
        constraints = [models.UniqueConstraint(fields=["msp", "tenant_id"], name="m365tenant_unique_per_msp")]
        indexes = [models.Index(fields=["msp", "client"], name="m365tenant_msp_client")]

    def __str__(self):
        return self.display_name or str(self.tenant_id)

    @property
    def mfa_pct(self) -> float | None:
        return round(100 * self.mfa_registered / self.mfa_users, 1) if self.mfa_users else None

    @property
    def licences_bought(self) -> int:
        return sum(int(sku.get("prepaid") or 0) for sku in self.licences or [])

    @property
    def licences_assigned(self) -> int:
        return sum(int(sku.get("consumed") or 0) for sku in self.licences or [])


class SyncRun(MspOwnedModel):
    """One sync of one tenant: what started it, how far it got, counts per kind,
    and the error code with a friendly message (never Microsoft's raw text)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        INTERRUPTED = "interrupted", "Interrupted"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now"
        SCHEDULE = "schedule", "Schedule"
        CONNECT = "connect", "After connect"
        COMMAND = "command", "Command line"

    tenant = TenantForeignKey(M365Tenant, on_delete=models.CASCADE, related_name="runs")
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    full = models.BooleanField(default=False, help_text="Full listing instead of a delta.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, estimated from the last run.")
    pages = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid holding the tenant lock.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["msp", "tenant", "-created_at"], name="syncrun_msp_tenant_created"),
            models.Index(fields=["msp", "status"], name="syncrun_msp_status"),
        ]

    def __str__(self):
        return f"{self.tenant} {self.get_trigger_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def badge(self) -> str:
        return {"queued": "badge-info", "running": "badge-accent", "succeeded": "badge-success",
                "failed": "badge-danger", "skipped": "badge-warning", "interrupted": "badge-warning"}[self.status]

    def total(self, kind: str, key: str) -> int:
        return int((self.counts or {}).get(kind, {}).get(key, 0))

    @property
    def summary(self) -> list[tuple[str, dict]]:
        """[(label, {created, updated, unchanged, deactivated, skipped, …})] for display."""
        labels = {"contacts": "Contacts", "assets": "Assets"}
        return [(labels.get(k, k), v) for k, v in (self.counts or {}).items() if v]

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class CippConnection(MspOwnedModel):
    """The MSP's CIPP instance (CIPP-API), an alternative source of tenants, users and
    Intune devices. One per MSP. The client secret is stored as given (OpsMerge must
    send it to Entra) and never rendered back; see docs/m365.md for protecting it."""

    class Status(models.TextChoices):
        UNTESTED = "untested", "Not tested"
        OK = "ok", "Connected"
        FAILED = "failed", "Failed"

    base_url = models.URLField("CIPP URL", max_length=255, help_text="https://cipp.example.com (the API is /api/…).")
    tenant_id = models.UUIDField("Entra tenant id", help_text="The MSP's own tenant, where CIPP's API app lives.")
    client_id = models.UUIDField("Client id", help_text="Application id of the CIPP-API client.")
    api_client_id = models.UUIDField(
        "API application id", null=True, blank=True,
        help_text="The CIPP-API app the token is for (scope api://<id>/.default); blank = the client id.")
    client_secret = EncryptedCharField()  # encrypted at rest (opsmerge.crypto)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNTESTED, editable=False)
    status_message = models.CharField(max_length=255, blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    tenants = models.JSONField(default=list, blank=True, editable=False,
                               help_text="CIPP's last ListTenants answer (the tenants page lists these).")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "CIPP connection"
        constraints = [models.UniqueConstraint(fields=["msp"], name="cippconnection_one_per_msp")]

    def __str__(self):
        return self.base_url

    @property
    def scope(self) -> str:
        return f"api://{self.api_client_id or self.client_id}/.default"
