"""Django admin for platform admins: every MSP-owned model shows its MSP as a column
and a filter. The admin runs unscoped (TenantScopeMiddleware, logged)."""

from django.contrib import admin


class MspOwnedAdmin(admin.ModelAdmin):
    """Base for MSP-owned models. `msp` is not editable on the model, so new rows are
    created by services (or with an explicit MSP below), never by accident."""

    list_select_related = ("msp",)
    msp_list_display: tuple[str, ...] = ()
    msp_search_fields: tuple[str, ...] = ()
    msp_list_filter: tuple[str, ...] = ()

    def get_list_display(self, request):
        return ("msp", *self.msp_list_display) if self.msp_list_display else ("__str__", "msp")

    def get_list_filter(self, request):
        return ("msp", *self.msp_list_filter)

    def get_search_fields(self, request):
        return self.msp_search_fields or ()

    def get_readonly_fields(self, request, obj=None):
        return ("msp_display", *super().get_readonly_fields(request, obj))

    @admin.display(description="MSP")
    def msp_display(self, obj):
        return obj.msp if obj and obj.msp_id else "—"

    def has_add_permission(self, request):
        # Rows need an MSP and the service rules (audit, primary flags, domains):
        # create them in the app, the API or an import, not here.
        return False
