from decimal import Decimal

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from opsmerge.tenancy import MspOwnedModel, TenantForeignKey


class ContractTemplate(MspOwnedModel):
    """A reusable contract definition (e.g. "Managed Gold"); clients' contracts point
    at one, and the clients list can bulk-change it."""

    name = models.CharField(max_length=120)
    monthly_price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("msp", Lower("name"), name="contracttemplate_name_unique")]

    def __str__(self):
        return self.name


class Contract(MspOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    client = TenantForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="contracts"
    )
    template = TenantForeignKey(ContractTemplate, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="contracts")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["msp", "client", "status"], name="contract_msp_client_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="contract_dates_order",
            )
        ]

    def __str__(self):
        return self.name


class Invoice(MspOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    client = TenantForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    issued_on = models.DateField(default=timezone.localdate)
    due_on = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    outstanding_balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "number"], name="invoice_number_unique_per_msp"),
            models.CheckConstraint(condition=models.Q(outstanding_balance__gte=0), name="invoice_balance_not_negative"),
            models.CheckConstraint(
                condition=models.Q(outstanding_balance__lte=models.F("total")), name="invoice_balance_le_total"
            ),
        ]
        indexes = [models.Index(fields=["msp", "client"], name="invoice_msp_client")]

    def __str__(self):
        return self.number


class InvoiceDelivery(MspOwnedModel):
    """An invoice emailed to the client (seed 000: billing contacts "receive invoices
    and billing-related emails"; the primary contact when there is none)."""

    class Audience(models.TextChoices):
        BILLING = "billing", "Billing contacts"
        PRIMARY = "primary", "Primary contact (no billing contact)"

    invoice = TenantForeignKey(Invoice, on_delete=models.CASCADE, related_name="deliveries")
    recipients = models.JSONField(default=list)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["msp", "invoice"], name="invoicedelivery_msp_invoice")]
