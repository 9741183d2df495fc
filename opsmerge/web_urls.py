"""URL map of the technician web app: each app contributes its own urls module."""

from django.urls import include, path

from . import views
from .views import activity

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("activity/", activity.activity, name="activity"),
    path("settings/", include("opsmerge.settings_urls")),
    path("clients/", include("clients.urls")),
    path("contacts/", include("contacts.urls")),
    path("sites/", include("sites.urls")),
    path("assets/", include("assets.urls")),
    path("tickets/", include("tickets.urls")),
    path("integrations/m365/", include("integrations.m365.urls")),
    path("mail/", include("integrations.mail.urls")),
    path("billing/", include("billing.urls")),
    path("portal-invites/", include("portal.staff_urls")),
    path("imports/", include("integrations.imports.urls")),
]
