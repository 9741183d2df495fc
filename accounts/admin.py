from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from opsmerge.admin_base import MspOwnedAdmin

from .models import Msp, TechGroup, User
from .team import user_authored_history


@admin.register(Msp)
class MspAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_exclude(self, request, obj=None):
        # Files are stored under msp/<msp id>/ (opsmerge.files): the logo needs a saved MSP.
        return ["logo"] if obj is None else super().get_exclude(request, obj)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "msp", "role", "is_active", "is_staff")
    list_filter = ("msp", "role", "is_active", "is_staff")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "msp", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "msp", "role",
                                                             "password1", "password2")}),)
    filter_horizontal = ()

    # Never delete a user who authored history (issue 13): deactivate them instead. The
    # bulk action would skip this check, so it is gone; a pre_delete guard backs it up.
    def has_delete_permission(self, request, obj=None):
        if obj is not None and user_authored_history(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(TechGroup)
class TechGroupAdmin(MspOwnedAdmin):
    msp_list_display = ("name",)
    msp_search_fields = ("name",)
