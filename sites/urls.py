from django.urls import path

from .views import sites as v

app_name = "sites"

urlpatterns = [
    path("", v.SiteListView.as_view(), name="list"),
    path("new/", v.SiteCreateView.as_view(), name="create"),
    path("<int:pk>/", v.SiteDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", v.SiteEditView.as_view(), name="edit"),
]
