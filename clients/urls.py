from django.urls import path
from django.utils.module_loading import import_string

from opsmerge.registry import client_tabs

from .views import clients as v
from .views import duplicates as dup_v
from .views import lifecycle as life_v
from .views import merge as merge_v
from .views import tabs as tab_v

app_name = "clients"

urlpatterns = [
    path("", v.ClientListView.as_view(), name="list"),
    path("new/", v.ClientCreateView.as_view(), name="create"),
    path("bulk/", v.ClientBulkView.as_view(), name="bulk"),
    path("regions/", v.subdivisions, name="subdivisions"),
    path("<int:pk>/", tab_v.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", v.ClientEditView.as_view(), name="edit"),
    path("<int:pk>/logo/", tab_v.ClientLogoView.as_view(), name="logo"),
    path("<int:pk>/documents/", tab_v.ClientDocumentsTab.as_view(), name="documents"),
    path("<int:pk>/documents/upload/", tab_v.ClientDocumentUploadView.as_view(), name="document_upload"),
    path("<int:client_pk>/documents/<int:document_pk>/", tab_v.DocumentDownloadView.as_view(),
         name="document_download"),
    path("<int:client_pk>/documents/<int:document_pk>/delete/", tab_v.DocumentDeleteView.as_view(),
         name="document_delete"),
    path("<int:pk>/activity/", tab_v.ClientActivityTab.as_view(), name="activity"),
    path("archived/", life_v.ArchivedClientListView.as_view(), name="archived"),
    path("<int:pk>/archive/", life_v.ClientArchiveView.as_view(), name="archive"),
    path("<int:pk>/restore/", life_v.ClientRestoreView.as_view(), name="restore"),
    path("<int:pk>/delete/", life_v.ClientDeleteView.as_view(), name="delete"),
    path("merge/", merge_v.ClientMergeView.as_view(), name="merge"),
    path("merges/<int:merge_pk>/", merge_v.ClientMergeStatusView.as_view(), name="merge_status"),
    path("merges/<int:merge_pk>/undo/", merge_v.ClientMergeUndoView.as_view(), name="merge_undo"),
    path("duplicates/", dup_v.DuplicateListView.as_view(), name="duplicates"),
    path("duplicates/scan/", dup_v.DuplicateScanView.as_view(), name="duplicates_scan"),
    path("duplicates/<int:candidate_pk>/dismiss/", dup_v.DuplicateDismissView.as_view(), name="duplicate_dismiss"),
]

# Tabs other apps own (contacts, sites, assets, tickets, billing …), routed here so
# their URLs and names stay /clients/<pk>/<route>/ and "clients:<name>".
urlpatterns += [
    path(f"<int:pk>/{tab.route}/", import_string(tab.view).as_view(), name=tab.url_name.removeprefix("clients:"))
    for tab in client_tabs if tab.view
]
