from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Asset


@admin.register(Asset)
class AssetAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "client", "kind", "serial_number", "is_active", "last_seen_at", "source")
    msp_list_filter = ("kind", "is_active", "source")
    msp_search_fields = ("name", "serial_number", "client__name")
    list_select_related = ("msp", "client")
    raw_id_fields = ("client", "site", "contact")
