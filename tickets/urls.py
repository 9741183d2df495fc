from django.urls import path

from .views import sla
from .views import tickets as views

app_name = "tickets"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="list"),
    path("new/", views.TicketCreateView.as_view(), name="new"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="detail"),
    path("<int:pk>/reply/", views.TicketReplyView.as_view(), name="reply"),
    path("<int:pk>/update/", views.TicketUpdateView.as_view(), name="update"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.TicketAttachmentView.as_view(), name="attachment"),
    path("sla/clients/<int:client_pk>/", sla.ClientSlaPostView.as_view(), name="client_sla"),
]
