from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(MspOwnedAdmin):
    msp_list_display = ("number", "subject", "client", "status", "priority", "source", "created_at")
    msp_list_filter = ("status", "priority", "source")
    msp_search_fields = ("subject", "client__name")
    list_select_related = ("msp", "client")
    raw_id_fields = ("client", "contact", "site", "asset", "assigned_to")
