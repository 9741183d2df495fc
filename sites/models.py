from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from opsmerge.address import PostalAddress
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey
from opsmerge.validators import validate_time_zone


class Site(MspOwnedModel, PostalAddress):
    """A location of a client (HQ, branch office, "Home workers"). One HQ per client.
    A site may override the client's business hours (clients.BusinessHours)."""

    client = TenantForeignKey("clients.Client", on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=120)
    location = models.CharField(max_length=200, blank=True, help_text="Free-text location, e.g. '2nd floor'.")
    is_hq = models.BooleanField("HQ", default=False)
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone],
                                 help_text="Blank: the client's time zone.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_hq", "name"]
        constraints = [
            models.UniqueConstraint("msp", "client", Lower("name"), name="site_name_unique_per_client"),
            models.UniqueConstraint(
                fields=["msp", "client"], condition=models.Q(is_hq=True), name="site_one_hq_per_client"
            ),
        ]
        indexes = [models.Index(fields=["msp", "client"], name="site_msp_client")]

    def __str__(self):
        return self.name
