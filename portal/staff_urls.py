"""Technician-side portal actions (staff login; NOT under /portal/)."""

from django.urls import path

from .views import staff

app_name = "portal_invites"

urlpatterns = [
    path("<int:contact_pk>/send/", staff.send_invite, name="send"),
    path("clients/<int:client_pk>/quiet-hours/", staff.quiet_hours, name="quiet_hours"),
]
