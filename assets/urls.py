from django.urls import path

from .views import assets as v

app_name = "assets"

urlpatterns = [
    path("", v.AssetListView.as_view(), name="list"),
    path("<int:pk>/", v.AssetDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", v.AssetEditView.as_view(), name="edit"),
]
