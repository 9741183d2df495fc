"""The Django admin is for platform admins only (issue 13, item 6).

Django's own admin lets in anyone with ``is_staff``, and then shows every MSP's rows
to a user with a single model permission, because the admin runs unscoped. Here the
gate is stricter, in two layers:

- the database: a check constraint on ``accounts_user`` makes ``is_staff`` impossible
  for a user who belongs to an MSP (``user_staff_only_without_msp``);
- the site: :meth:`PlatformAdminSite.has_permission` lets in only an active
  superuser with no MSP, whatever flags or permissions the user holds.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


def is_platform_admin(user) -> bool:
    return bool(
        user.is_active
        and user.is_authenticated
        and user.is_superuser
        and user.is_staff
        and getattr(user, "msp_id", None) is None
    )


class PlatformAdminSite(admin.AdminSite):
    site_header = "OpsMerge platform admin"
    site_title = "OpsMerge platform admin"

    def has_permission(self, request):
        return is_platform_admin(request.user)


class PlatformAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PlatformAdminSite"
