from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class Asset(MspOwnedModel):
    """Something the MSP manages for a client: an endpoint, network gear, a phone.
    Mostly populated by the Microsoft 365 / Intune sync."""

    class Kind(models.TextChoices):
        WORKSTATION = "workstation", "Workstation"
        LAPTOP = "laptop", "Laptop"
        SERVER = "server", "Server"
        MOBILE = "mobile", "Mobile"
        NETWORK = "network", "Network device"
        PRINTER = "printer", "Printer"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        M365 = "m365", "Microsoft 365"
        IMPORT = "import", "Import"
        API = "api", "API"

    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="assets")
    site = TenantForeignKey("sites.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets")
    contact = TenantForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WORKSTATION)
    os = models.CharField("OS", max_length=100, blank=True)
    os_version = models.CharField("OS version", max_length=100, blank=True)
    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=100, blank=True)
    is_managed = models.BooleanField(default=False)
    is_compliant = models.BooleanField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL, editable=False)
    external_ids = models.JSONField(default=dict, blank=True)
    m365_tenant = TenantForeignKey(
        "m365.M365Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets", editable=False
    )
    m365_object_id = models.CharField(max_length=64, blank=True, editable=False)
    m365_device_id = models.CharField(max_length=64, blank=True, editable=False)
    intune_id = models.CharField(max_length=64, blank=True, editable=False)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_reason = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["msp", "m365_tenant", "m365_object_id"],
                condition=~models.Q(m365_object_id=""),
                name="asset_m365_object_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["msp", "client", "is_active"], name="asset_msp_client_active"),
            models.Index(fields=["msp", "site"], name="asset_msp_site"),
            models.Index(fields=["msp", "contact"], name="asset_msp_contact"),
            models.Index(fields=["msp", "serial_number"], name="asset_msp_serial"),
            models.Index(fields=["msp", "m365_device_id"], name="asset_msp_device_id"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="asset_name_trgm"),
        ]

    def __str__(self):
        return self.name
