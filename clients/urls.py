from django.urls import path

from .views import clients as client_views

app_name = "clients"

urlpatterns = [
    path("", client_views.ClientListView.as_view(), name="list"),
    path("<int:pk>/", client_views.ClientDetailView.as_view(), name="detail"),
]
