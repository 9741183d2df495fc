"""URL map of the technician web app: each app contributes its own urls module."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("clients/", include("clients.urls")),
]
