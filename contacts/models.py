from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from opsmerge.tenancy import MspOwnedModel, MspQuerySet, TenantForeignKey, msp_manager


class ContactQuerySet(MspQuerySet):
    def alive(self):
        """Not soft-deleted: what lists and pickers show (seed 002)."""
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class Contact(MspOwnedModel):
    """A person, or an organisation, at a client (or at no client). A person may be
    linked to an organisation contact. Soft-deleted contacts keep their history."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        IMPORT = "import", "CSV import"
        M365 = "m365", "Microsoft 365"
        API = "api", "API"

    client = TenantForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    organisation = TenantForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="members",
        limit_choices_to={"kind": "organisation"},
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True, help_text="Name of an organisation contact.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)
    office = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)

    is_primary = models.BooleanField("primary contact", default=False)
    is_billing = models.BooleanField("billing contact", default=False)
    is_portal_user = models.BooleanField("portal user", default=False)
    is_technical = models.BooleanField("technical contact", default=False)
    is_vip = models.BooleanField("VIP", default=False)
    is_active = models.BooleanField(default=True)

    portal_invited_at = models.DateTimeField(null=True, blank=True, editable=False)
    portal_last_sign_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    portal_sees_all_tickets = models.BooleanField(
        default=False, help_text="May see every ticket of the client in the portal, not only their own."
    )

    tags = models.ManyToManyField("clients.Tag", through="ContactTag", blank=True, related_name="contacts")
    custom_fields = models.JSONField(default=dict, blank=True)

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL, editable=False)
    external_ids = models.JSONField(default=dict, blank=True)
    m365_tenant = TenantForeignKey(
        "m365.M365Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts", editable=False
    )
    m365_object_id = models.CharField(max_length=64, blank=True, editable=False)
    m365_upn = models.CharField(max_length=255, blank=True, editable=False)
    m365_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    m365_removed_reason = models.CharField(max_length=40, blank=True, editable=False)

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    merged_into = TenantForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = msp_manager(ContactQuerySet)

    class Meta:
        ordering = ["last_name", "first_name", "organisation_name"]
        constraints = [
            models.UniqueConstraint(
                "msp", "client", Lower("email"),
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(email=""),
                nulls_distinct=False,
                name="contact_email_unique_per_client",
            ),
            models.UniqueConstraint(
                fields=["msp", "client"],
                condition=models.Q(is_primary=True, deleted_at__isnull=True),
                name="contact_one_primary_per_client",
            ),
            models.UniqueConstraint(
                fields=["msp", "m365_tenant", "m365_object_id"],
                condition=~models.Q(m365_object_id=""),
                name="contact_m365_object_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_primary=True) | models.Q(client__isnull=False),
                name="contact_primary_needs_client",
            ),
        ]
        indexes = [
            models.Index(fields=["msp", "client", "last_name"], name="contact_msp_client_name"),
            # "Has a live contact" probes, index-only (contacts grouped by client: 10,000 per count).
            # Narrow on purpose: deduplicated it is a tenth of a wide one, so a probe stays ~1 µs.
            models.Index(fields=["msp", "client"], condition=models.Q(deleted_at__isnull=True),
                         name="contact_msp_client_alive"),
            # The contacts list's default order, live contacts only (web list, API, exports).
            models.Index(fields=["msp", "last_name", "first_name", "organisation_name", "id"],
                         condition=models.Q(deleted_at__isnull=True), name="contact_msp_alive_sort"),
            models.Index("msp", Lower("email"), name="contact_msp_email_ci"),
            # Portal sign-in finds an address's portal users across MSPs (portal/services.py).
            models.Index(Lower("email"), condition=models.Q(is_portal_user=True, deleted_at__isnull=True),
                         name="contact_portal_email_ci"),
            GinIndex(fields=["email"], opclasses=["gin_trgm_ops"], name="contact_email_trgm"),
            GinIndex(fields=["last_name"], opclasses=["gin_trgm_ops"], name="contact_last_name_trgm"),
            GinIndex(fields=["first_name"], opclasses=["gin_trgm_ops"], name="contact_first_name_trgm"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return self.organisation_name or self.email or f"Organisation #{self.pk}"
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or f"Contact #{self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_pending_setup(self) -> bool:
        """Invited to the portal but never signed in (seed 003)."""
        return self.is_portal_user and self.portal_last_sign_in_at is None

    @property
    def role_labels(self) -> list[str]:
        flags = [("is_primary", "Primary"), ("is_billing", "Billing"), ("is_portal_user", "Portal"),
                 ("is_technical", "Technical"), ("is_vip", "VIP")]
        return [label for attr, label in flags if getattr(self, attr)]


class ContactTag(MspOwnedModel):
    contact = TenantForeignKey(Contact, on_delete=models.CASCADE)
    tag = TenantForeignKey("clients.Tag", on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "contact", "tag"], name="contacttag_unique")]
        indexes = [models.Index(fields=["msp", "tag"], name="contacttag_msp_tag")]
