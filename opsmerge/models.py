from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import MspOwnedModel, TenantForeignKey


class AuditEvent(MspOwnedModel):
    """One recorded write: who did what to which object, with before/after values.

    Written only by services (opsmerge.audit.audit_record). The client link has no
    database constraint on purpose: the event must survive a permanent delete of the
    client, keeping its id and name for the record.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who, when not a staff user (system, API key, contact).")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    # Events outlive the client they name (a permanent delete keeps its audit trail):
    # joins still pair msp_id, but there is no database constraint.
    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.DO_NOTHING,
                              tenant_constraint=False, related_name="+")
    client_name = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["msp", "-created_at"], name="audit_msp_created"),
            models.Index(fields=["msp", "client", "-created_at"], name="audit_msp_client_created"),
            models.Index(fields=["msp", "object_type", "object_id"], name="audit_msp_object"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_repr}"
