from django.urls import path

from . import views

app_name = "m365"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("import/", views.ImportStartView.as_view(), name="import_start"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
    path("clients/<int:client_pk>/", views.ClientTenantsView.as_view(), name="client_tenants"),
    path("clients/<int:client_pk>/connect/", views.ConnectView.as_view(), name="connect"),
    path("tenants/<int:tenant_pk>/import/", views.TenantImportView.as_view(), name="tenant_import"),
    path("tenants/<int:tenant_pk>/status/", views.TenantStatusView.as_view(), name="tenant_status"),
    path("tenants/<int:tenant_pk>/sync/", views.TenantSyncView.as_view(), name="tenant_sync"),
    path("tenants/<int:tenant_pk>/settings/", views.TenantSettingsView.as_view(), name="tenant_settings"),
    path("tenants/<int:tenant_pk>/disconnect/", views.TenantDisconnectView.as_view(), name="tenant_disconnect"),
]
