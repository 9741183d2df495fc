from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Site


@admin.register(Site)
class SiteAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "client", "is_hq", "city", "country")
    msp_list_filter = ("is_hq", "country")
    msp_search_fields = ("name", "client__name", "city")
    list_select_related = ("msp", "client")
    raw_id_fields = ("client",)
