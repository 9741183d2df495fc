from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(MspOwnedAdmin):
    msp_list_display = ("display_name", "email", "client", "kind", "is_primary", "is_portal_user", "is_vip",
                        "is_active", "deleted_at")
    msp_list_filter = ("kind", "is_active", "is_primary", "is_portal_user", "is_vip", "source")
    msp_search_fields = ("first_name", "last_name", "organisation_name", "email", "client__name")
    list_select_related = ("msp", "client")
    raw_id_fields = ("client", "organisation")
