from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("tickets/<int:ticket_pk>/assign-client/", views.TicketAssignClientView.as_view(), name="assign_client"),
]
