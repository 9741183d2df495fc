from django.urls import path

from . import web_views

app_name = "api_keys"

urlpatterns = [
    path("", web_views.api_key_list, name="list"),
    path("<int:pk>/revoke/", web_views.api_key_revoke_view, name="revoke"),
]
