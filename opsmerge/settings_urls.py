"""Settings pages (namespace "settings"): the index, then the pages apps registered
in opsmerge.registry.settings_pages (custom fields, tech groups, ...)."""

from django.urls import path

from .registry import settings_pages
from .views import settings_pages as v

app_name = "settings"

urlpatterns = [path("", v.settings_index, name="index")]
for page in settings_pages:
    if page.urls is not None:
        urlpatterns += page.urls()
