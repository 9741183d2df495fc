from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import M365Tenant


@admin.register(M365Tenant)
class M365TenantAdmin(MspOwnedAdmin):
    msp_list_display = ("display_name", "tenant_id", "client", "consent_state", "last_sync_at")
    msp_list_filter = ("consent_state",)
    msp_search_fields = ("display_name", "tenant_id", "default_domain", "client__name")
    list_select_related = ("msp", "client")
