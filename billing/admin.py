from django.contrib import admin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Contract, ContractTemplate, Invoice


@admin.register(ContractTemplate)
class ContractTemplateAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "monthly_price")
    msp_search_fields = ("name",)


@admin.register(Contract)
class ContractAdmin(MspOwnedAdmin):
    msp_list_display = ("name", "client", "template", "status", "start_date", "end_date")
    msp_list_filter = ("status",)
    msp_search_fields = ("name", "client__name")
    list_select_related = ("msp", "client", "template")


@admin.register(Invoice)
class InvoiceAdmin(MspOwnedAdmin):
    msp_list_display = ("number", "client", "status", "total", "outstanding_balance", "issued_on")
    msp_list_filter = ("status", "currency")
    msp_search_fields = ("number", "client__name")
    list_select_related = ("msp", "client")
