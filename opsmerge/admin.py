from django.contrib import admin

from .admin_base import MspOwnedAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(MspOwnedAdmin):
    msp_list_display = ("created_at", "action", "object_repr", "client_name", "actor", "actor_label")
    msp_list_filter = ("action", "object_type")
    msp_search_fields = ("object_repr", "client_name", "reason", "request_id")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
