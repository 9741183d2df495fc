from django.conf import settings
from django.db import models
from django.utils import timezone

from opsmerge.files import MspUploadTo
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey

from .columns import KIND_CHOICES


class ImportJob(MspOwnedModel):
    """One upload of a CSV / Excel file and its run (a dry run or a commit).

    The job commits in batches; `checkpoint_row` is the last file row whose batch is
    committed, together with the counts and row errors of that batch, so a worker
    that dies mid-job resumes from there and never half-writes a record.
    """

    class Mode(models.TextChoices):
        CREATE = "create", "Create new only"
        CREATE_UPDATE = "create_update", "Create new and update existing"
        UPDATE = "update", "Update existing only"

    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    DONE_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    mode = models.CharField(max_length=14, choices=Mode.choices, default=Mode.CREATE_UPDATE)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    file = models.FileField(upload_to=MspUploadTo("import"), max_length=255, blank=True)
    original_name = models.CharField(max_length=255)
    file_removed_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the uploaded file was deleted (IMPORT_FILE_RETENTION_DAYS); counts and row errors stay.")
    size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=4, default="csv")  # csv | xlsx
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    header_row = models.PositiveIntegerField(default=1, help_text="File row of the header (first non-blank row).")
    mapping = models.JSONField(default=dict, blank=True, help_text="{column index: field key}")
    source_job = TenantForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="commits",
                                   help_text="The dry run this commit was started from.")
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="import_jobs",
                              help_text="Contacts import into this one client (Client → Contacts → Import).")
    source_format = models.CharField(max_length=30, blank=True,
                                     help_text="Recognised export format (formats.FORMATS key); blank = generic.")
    confirmed_rows = models.JSONField(default=list, blank=True,
                                      help_text="File rows the user confirmed in the dry-run review (likely "
                                                "duplicates of existing clients to import anyway).")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    total_rows = models.PositiveIntegerField(default=0, help_text="Estimated data rows, for the progress bar.")
    processed_rows = models.PositiveIntegerField(default=0)
    checkpoint_row = models.PositiveIntegerField(default=0, help_text="Last file row of the last committed batch.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True, help_text="Why the whole job failed, in plain words.")
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["msp", "-created_at"], name="importjob_msp_created")]

    def __str__(self):
        return f"{self.get_kind_display()} import {self.original_name}"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def eta_seconds(self) -> int | None:
        if self.status != self.Status.RUNNING or not self.started_at or not self.processed_rows:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        remaining = max(self.total_rows - self.processed_rows, 0)
        return int(elapsed / self.processed_rows * remaining)

    @property
    def file_removed_note(self) -> str:
        """What the job page says once the retention task deleted the upload."""
        if not self.file_removed_at:
            return ""
        return (f"The uploaded file was removed after {settings.IMPORT_FILE_RETENTION_DAYS} days (on "
                f"{self.file_removed_at:%-d %b %Y}); the counts and row errors are kept.")

    @property
    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ("created", "updated", "unchanged", "skipped", "failed")}


class ImportRowError(MspOwnedModel):
    """A row that was not applied: its file row number, every problem found
    (column, value, plain message) and its original cells, for the failed-rows CSV."""

    class Outcome(models.TextChoices):
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    job = TenantForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.FAILED)
    errors = models.JSONField(default=list, help_text='[{"column", "value", "message"}]')
    cells = models.JSONField(default=list)

    class Meta:
        ordering = ["row_number"]
        constraints = [models.UniqueConstraint(fields=["msp", "job", "row_number"], name="importrowerror_unique")]

    @property
    def message(self) -> str:
        return "; ".join(f"{e['column']}: {e['message']}" if e.get("column") else e["message"] for e in self.errors)


class ColumnMapping(MspOwnedModel):
    """A header this MSP mapped by hand, remembered for its next upload of the kind.
    An empty `field_key` means "ignore this column"."""

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    header_key = models.CharField(max_length=200, help_text="Normalised header (columns.header_key).")
    field_key = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["msp", "kind", "header_key"], name="columnmapping_unique"),
        ]

    def __str__(self):
        return f"{self.kind}: {self.header_key} → {self.field_key or '(ignored)'}"


class ImportChange(MspOwnedModel):
    """One row a committed job created, updated or deleted, written in the same
    transaction as its batch, so Undo restores exactly (integrations.imports.undo):
    - created: `new_value` is the row's fingerprint (md5 of the whole row) right after
      the batch; Undo deletes the row only if the fingerprint still matches;
    - updated: `old_value` / `new_value` hold the changed columns before and after;
      Undo restores the old values only if every column still holds its new value;
    - deleted: `old_value` is the whole row (a tag link the job removed); Undo puts it back.
    """

    class Op(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    job = TenantForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    step = models.PositiveIntegerField(help_text="Order of the write in the job; Undo replays backwards.")
    model = models.CharField(max_length=100, help_text="app_label.model_name")
    op = models.CharField(max_length=8, choices=Op.choices)
    row_id = models.BigIntegerField()
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["msp", "job", "step"], name="importchange_job_step")]
