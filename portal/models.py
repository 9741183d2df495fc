"""Magic-link tokens and portal sessions. Secrets are never stored: only their
SHA-256 hashes (see docs/portal.md for the security model)."""

import datetime

from django.db import models
from django.utils import timezone

from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class PortalLinkToken(MspOwnedModel):
    """A single-use sign-in link for one contact of one MSP, valid for a short time.
    Issuing a new link voids the contact's older unused ones."""

    class Purpose(models.TextChoices):
        INVITE = "invite", "Invite"
        SIGN_IN = "sign_in", "Sign-in"

    contact = TenantForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, editable=False)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.SIGN_IN)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "token_hash"], name="portallinktoken_hash_unique")]
        indexes = [
            # Redemption looks a token up by its hash before the MSP is known.
            models.Index(fields=["token_hash"], name="portallinktoken_hash"),
            models.Index(fields=["msp", "contact", "created_at"], name="portallinktoken_contact"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} link for contact {self.contact_id}"


class PortalSession(MspOwnedModel):
    """A signed-in portal browser: bound to one contact (and so one client and MSP).
    The cookie holds the secret; the row holds its hash."""

    class EndReason(models.TextChoices):
        SIGNED_OUT = "signed_out", "Signed out"
        IDLE = "idle", "Inactive too long"
        EXPIRED = "expired", "Reached maximum age"
        ACCESS_LOST = "access_lost", "Portal access removed"
        REPLACED = "replaced", "Signed in again"

    contact = TenantForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "key_hash"], name="portalsession_key_unique")]
        indexes = [
            models.Index(fields=["key_hash"], name="portalsession_key"),
            models.Index(fields=["msp", "contact"], condition=models.Q(ended_at__isnull=True),
                         name="portalsession_open_by_contact"),
        ]

    def __str__(self):
        return f"Portal session of contact {self.contact_id}"


class QuietHours(MspOwnedModel):
    """A client's portal quiet hours (issue 17): ticket reply notifications to its
    contacts are held between `start` and `end` in the client's time zone (an
    overnight window wraps midnight) and sent when the window ends. VIP contacts
    are exempt (seed 000: VIPs get "no portal-quiet-hours")."""

    client = TenantForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    start = models.TimeField(default=datetime.time(20, 0))
    end = models.TimeField(default=datetime.time(8, 0))
    is_active = models.BooleanField("Quiet hours on", default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["msp", "client"], name="quiethours_one_per_client"),
            models.CheckConstraint(condition=~models.Q(start=models.F("end")), name="quiethours_not_empty"),
        ]


class HeldNotification(MspOwnedModel):
    """A reply notification held by quiet hours, sent at `release_at` by the beat task."""

    comment = TenantForeignKey("tickets.TicketComment", on_delete=models.CASCADE, related_name="+")
    release_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "comment"], name="heldnotification_once")]
        indexes = [models.Index(fields=["release_at"], condition=models.Q(sent_at__isnull=True),
                                name="heldnotification_due")]
