from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.roles import Role
from opsmerge.tenancy import MspOwnedModel


class ApiKey(MspOwnedModel):
    """A named credential for integrations (RMMs, billing tools, scripts).

    The token is shown once; only its SHA-256 is stored. The token embeds the MSP id
    and a public prefix, so a request finds its key inside its own MSP's scope (and
    on its own shard) without an unscoped lookup. The key acts with `role`, through
    the same permission matrix as staff users.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, editable=False, help_text="Public part of the token, shown in lists.")
    secret_hash = models.CharField(max_length=64, editable=False)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.READ_ONLY)
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute; blank: the default (API_KEY_RATE_LIMIT_PER_MINUTE)."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "prefix"], name="apikey_msp_prefix_unique"),
            models.UniqueConstraint(
                "msp", Lower("name"), condition=models.Q(revoked_at__isnull=True), name="apikey_msp_active_name_unique"
            ),
        ]

    def __str__(self):
        return f"API key “{self.name}”"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def display_token(self) -> str:
        return f"{settings.API_KEY_TOKEN_PREFIX}_{self.msp_id}_{self.prefix}_…"
