from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Client, ClientDocument, ClientDomain, CustomField, Tag


class ClientDomainInline(admin.TabularInline):
    model = ClientDomain
    extra = 0
    fields = ("domain", "is_primary")
    readonly_fields = fields
    can_delete = False


@admin.register(Client)
class ClientAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "status", "industry", "account_manager", "last_activity_at")
    msp_list_filter = ("status", "industry")
    msp_search_fields = ("name", "domains__domain", "psa_id")
    list_select_related = ("msp", "account_manager")
    inlines = [ClientDomainInline]
    raw_id_fields = ("account_manager",)


@admin.register(Tag)
class TagAdmin(MspOwnedAdmin):
    msp_list_display = ("name",)
    msp_search_fields = ("name",)


@admin.register(CustomField)
class CustomFieldAdmin(MspOwnedAdmin):
    msp_list_display = ("label", "key", "applies_to", "field_type", "required")
    msp_list_filter = ("applies_to", "field_type")
    msp_search_fields = ("label", "key")


@admin.register(ClientDocument)
class ClientDocumentAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "client", "content_type", "size", "uploaded_at")
    msp_search_fields = ("name", "client__name")
    list_select_related = ("msp", "client")
