from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.tenancy import MspOwnedModel


class M365Tenant(MspOwnedModel):
    """A Microsoft 365 / Entra tenant connected to a client. A client may have several
    tenants; within an MSP a tenant belongs to exactly one client (seed 001)."""

    class ConsentState(models.TextChoices):
        PENDING = "pending", "Waiting for consent"
        CONNECTED = "connected", "Connected"
        RECONNECT_REQUIRED = "reconnect_required", "Reconnect required"
        DISCONNECTED = "disconnected", "Disconnected"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="m365_tenants")
    tenant_id = models.UUIDField("Entra tenant id")
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
    users_delta_link = models.TextField(blank=True, editable=False)
    devices_delta_link = models.TextField(blank=True, editable=False)
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "Microsoft 365 tenant"
        ordering = ["display_name"]
        constraints = [models.UniqueConstraint(fields=["msp", "tenant_id"], name="m365tenant_unique_per_msp")]
        indexes = [models.Index(fields=["msp", "client"], name="m365tenant_msp_client")]

    def __str__(self):
        return self.display_name or str(self.tenant_id)
