"""Settings pages (namespace "settings")."""

from django.urls import path

from .views import settings_pages as v

app_name = "settings"

urlpatterns = [
    path("", v.settings_index, name="index"),
    path("custom-fields/", v.custom_field_list, name="custom_fields"),
    path("custom-fields/new/", v.CustomFieldEditView.as_view(), name="custom_field_create"),
    path("custom-fields/<int:custom_field_pk>/", v.CustomFieldEditView.as_view(), name="custom_field_edit"),
    path("custom-fields/<int:custom_field_pk>/delete/", v.CustomFieldDeleteView.as_view(), name="custom_field_delete"),
    path("tech-groups/", v.tech_group_list, name="tech_groups"),
    path("tech-groups/new/", v.TechGroupEditView.as_view(), name="tech_group_create"),
    path("tech-groups/<int:tech_group_pk>/", v.TechGroupEditView.as_view(), name="tech_group_edit"),
]
