from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # django-allauth's flows (sign-up, email verification, MFA, Microsoft sign-in); the
    # paths of accounts.urls above (login, logout, password reset) take precedence.
    path("accounts/", include("allauth.urls")),
    path("api/", include("api.urls")),
    path("portal/", include("portal.urls")),  # must match portal.scoping.PORTAL_PATH_PREFIX
    path("settings/api-keys/", include("api.web_urls")),
    path("", include("opsmerge.web_urls")),
]
