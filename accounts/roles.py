from django.db import models


class Role(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super Admin"
    ADMIN = "admin", "Admin"
    MSP_ADMIN = "msp_admin", "MSP Admin"
    COMPLIANCE_ADMIN = "compliance_admin", "Compliance Admin"
    TECHNICIAN = "technician", "Technician"
    READ_ONLY = "read_only", "Read-only"
