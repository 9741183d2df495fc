from django.urls import path  # noqa: F401 - routes are added by the views modules' owners

app_name = "assets"

urlpatterns: list = []
