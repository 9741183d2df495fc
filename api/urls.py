"""/api/: the versioned REST API, its OpenAPI schema and offline docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from .v1.assets import AssetViewSet
from .v1.clients import ClientMergeViewSet, ClientViewSet
from .v1.contacts import ContactViewSet
from .v1.imports import ImportJobViewSet
from .v1.m365 import M365TenantViewSet, SyncRunViewSet
from .v1.mail import AlertViewSet, InboundEmailViewSet
from .v1.sites import SiteViewSet
from .v1.tickets import TicketViewSet

app_name = "api"


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = Router(trailing_slash=True)
router.register("clients", ClientViewSet, basename="client")
router.register("client-merges", ClientMergeViewSet, basename="client-merge")
router.register("contacts", ContactViewSet, basename="contact")
router.register("sites", SiteViewSet, basename="site")
router.register("assets", AssetViewSet, basename="asset")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("import-jobs", ImportJobViewSet, basename="import-job")
router.register("m365-tenants", M365TenantViewSet, basename="m365-tenant")
router.register("m365-sync-runs", SyncRunViewSet, basename="sync-run")
router.register("alerts", AlertViewSet, basename="alert")
router.register("inbound-email", InboundEmailViewSet, basename="inbound-email")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="schema-swagger"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
         name="schema-redoc"),
]
