from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from opsmerge.address import PostalAddress
from opsmerge.files import MspUploadTo, version_token
from opsmerge.tenancy import MspOwnedModel, MspQuerySet, TenantForeignKey, msp_manager
from opsmerge.validators import validate_digits, validate_time_zone

LOGO_CACHE_SECONDS = 24 * 60 * 60  # the logo URL is versioned (Client.logo_src)


class Tag(MspOwnedModel):
    """A free-text label (tier:gold, vertical:legal), created on the fly, shared by
    clients and contacts of one MSP. Names compare case-insensitively."""

    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("msp", Lower("name"), name="tag_msp_name_ci_unique")]

    def __str__(self):
        return self.name


class CustomField(MspOwnedModel):
    """An MSP-defined field on clients or contacts. Values live in the owner's
    `custom_fields` JSON under `key` (validated by opsmerge.custom_fields)."""

    class AppliesTo(models.TextChoices):
        CLIENT = "client", "Clients"
        CONTACT = "contact", "Contacts"

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes / no"
        CHOICE = "choice", "Choice"

    applies_to = models.CharField(max_length=10, choices=AppliesTo.choices)
    key = models.SlugField(max_length=50, help_text="Stable identifier used in imports and the API.")
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed values for choice fields.")
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["applies_to", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "applies_to", "key"], name="customfield_msp_key_unique")
        ]

    def __str__(self):
        return self.label


class ClientQuerySet(MspQuerySet):
    def not_archived(self):
        return self.exclude(status=Client.Status.ARCHIVED)

    def archived(self):
        return self.filter(status=Client.Status.ARCHIVED)


class Client(MspOwnedModel, PostalAddress):
    """One of the MSP's customers. Everything else attaches to a client."""

    class Status(models.TextChoices):
        LEAD = "lead", "Lead"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    industry = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    priority_floor = models.CharField(
        max_length=10, choices=Priority.choices, blank=True,
        help_text="Lowest priority a ticket of this client gets. Usually blank.",
    )
    phone_country_code = models.CharField(max_length=4, blank=True, validators=[validate_digits])
    phone_number = models.CharField(max_length=20, blank=True, validators=[validate_digits])
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    logo = models.ImageField(upload_to=MspUploadTo("client-logo"), blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_clients"
    )
    tech_groups = models.ManyToManyField("accounts.TechGroup", through="ClientTechGroup", blank=True)
    tags = models.ManyToManyField(Tag, through="ClientTag", blank=True, related_name="clients")
    custom_fields = models.JSONField(default=dict, blank=True)
    psa_id = models.CharField("PSA ID", max_length=64, blank=True)
    external_ids = models.JSONField(default=dict, blank=True, help_text="Ids in other systems, by system name.")
    is_compliance_tenant = models.BooleanField(
        default=False, help_text="Promoted to a compliance tenant: blocks permanent delete (seed 003)."
    )
    pre_archive_status = models.CharField(max_length=10, choices=Status.choices, blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    archive_reason = models.CharField(max_length=500, blank=True, editable=False)
    merged_into = TenantForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from", editable=False
    )
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = msp_manager(ClientQuerySet)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["msp", "status", "name"], name="client_msp_status_name"),
            # The clients list's default view: not archived, by name (web list, API).
            models.Index(fields=["msp", "name", "id"], condition=~models.Q(status="archived"),
                         name="client_msp_open_name"),
            # Every client by name, archived included (contacts grouped by client pages over these).
            models.Index(fields=["msp", "name", "id"], name="client_msp_name"),
            models.Index(fields=["msp", "last_activity_at"], name="client_msp_last_activity"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="client_name_trgm"),
            GinIndex(fields=["custom_fields"], name="client_custom_fields_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="archived") | models.Q(archived_at__isnull=False),
                name="client_archived_has_timestamp",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def logo_src(self) -> str:
        """Where a page shows the logo: the MSP-checked logo view (never a /media/ URL),
        versioned so a new logo is not hidden by the browser's cache."""
        if not self.logo:
            return ""
        return f"{reverse('clients:logo', kwargs={'pk': self.pk})}?v={version_token(self.logo)}"

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def phone_display(self) -> str:
        if not self.phone_number:
            return ""
        return f"+{self.phone_country_code} {self.phone_number}" if self.phone_country_code else self.phone_number


class ClientDomain(MspOwnedModel):
    """An email domain of a client: routes inbound mail and matches M365 tenants.
    Unique per MSP; stored normalised (lower case, no scheme/www)."""

    client = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "domain"], name="clientdomain_msp_domain_unique"),
            models.UniqueConstraint(
                fields=["msp", "client"], condition=models.Q(is_primary=True), name="clientdomain_one_primary"
            ),
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="clientdomain_lowercase"),
        ]
        indexes = [GinIndex(fields=["domain"], opclasses=["gin_trgm_ops"], name="clientdomain_domain_trgm")]

    def __str__(self):
        return self.domain


class ClientTag(MspOwnedModel):
    client = TenantForeignKey(Client, on_delete=models.CASCADE)
    tag = TenantForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "client", "tag"], name="clienttag_unique")]
        # Tag filters (clients list, bulk tag actions): the tag's clients from the index alone.
        indexes = [models.Index(fields=["msp", "tag", "client"], name="clienttag_msp_tag_client")]


class ClientTechGroup(MspOwnedModel):
    client = TenantForeignKey(Client, on_delete=models.CASCADE)
    group = TenantForeignKey("accounts.TechGroup", on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "client", "group"], name="clienttechgroup_unique")]


class BusinessHours(MspOwnedModel):
    """Weekly opening hours of a client; rows with a site override the client's
    hours for that site. Several intervals per day are allowed (lunch breaks)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    client = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="business_hours")
    site = TenantForeignKey("sites.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="businesshours_order"),
            models.UniqueConstraint(
                fields=["msp", "client", "site", "weekday", "opens_at"], nulls_distinct=False,
                name="businesshours_unique_interval",
            ),
        ]


class Holiday(MspOwnedModel):
    client = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="holidays")
    site = TenantForeignKey("sites.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["msp", "client", "site", "date"], nulls_distinct=False, name="holiday_unique_date"
            )
        ]


class ClientDocument(MspOwnedModel):
    """A file stored against a client (contracts, runbooks). Size- and type-checked
    by the upload service; served only through an MSP-scoped download view."""

    client = TenantForeignKey(Client, null=True, on_delete=models.PROTECT, related_name="documents")
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=MspUploadTo("client-document"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["msp", "client"], name="clientdocument_msp_client")]

    def __str__(self):
        return self.name


class ClientMerge(MspOwnedModel):
    """One merge of source clients into a target, and its undo log.

    Every row the merge changed is recorded in ClientMergeChange (old and new value
    of each changed column, or the whole row for the few rows it deleted), so Undo
    can restore exactly the pre-merge state. Progress of a running merge lives in
    the cache: the merge runs in one transaction, so the row itself only changes at
    the start and the end.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Merged"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    target = TenantForeignKey(Client, null=True, on_delete=models.SET_NULL, related_name="+")
    target_name = models.CharField(max_length=200)
    source_ids = models.JSONField(default=list)
    source_names = models.JSONField(default=list)
    choices = models.JSONField(default=dict, blank=True, help_text="Primary contact and field choices.")
    preview = models.JSONField(default=dict, blank=True, help_text="Counts per kind when confirmed.")
    moved = models.JSONField(default=dict, blank=True, help_text="Rows changed per kind.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["msp", "target", "-created_at"], name="clientmerge_msp_target")]

    def __str__(self):
        return f"Merge into {self.target_name}"


class ClientMergeChange(MspOwnedModel):
    """One column of one row changed by a merge (op=update), or one row it deleted
    (op=delete, `old_value` holds the whole row). `step` orders the statements so
    Undo replays them backwards. Written set-based (INSERT … SELECT), never per row
    from Python."""

    merge = TenantForeignKey(ClientMerge, on_delete=models.CASCADE, related_name="changes")
    step = models.PositiveIntegerField()
    model = models.CharField(max_length=100, help_text="app_label.model_name")
    column = models.CharField(max_length=100, blank=True)
    row_id = models.BigIntegerField()
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["msp", "merge", "step"], name="clientmergechange_merge_step")]


class DuplicateCandidate(MspOwnedModel):
    """A pair of clients that look like the same organisation, found by
    clients.duplicates (name, domains, contact email domains). `client_a` has the
    lower id. Recomputed by the duplicates_scan job."""

    client_a = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    client_b = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "client_a_id"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "client_a", "client_b"], name="duplicatecandidate_pair_unique"),
            models.CheckConstraint(condition=models.Q(client_a__lt=models.F("client_b")),
                                   name="duplicatecandidate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["msp", "-score"], name="duplicatecandidate_msp_score")]


class DuplicateDismissal(MspOwnedModel):
    """A pair someone marked "not duplicates": never suggested again."""

    client_a = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    client_b = TenantForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["msp", "client_a", "client_b"], name="duplicatedismissal_pair_unique"),
            models.CheckConstraint(condition=models.Q(client_a__lt=models.F("client_b")),
                                   name="duplicatedismissal_pair_ordered"),
        ]
