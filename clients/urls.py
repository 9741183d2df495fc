from django.urls import path

from .views import clients as v
from .views import duplicates as dup_v
from .views import lifecycle as life_v
from .views import merge as merge_v

app_name = "clients"

urlpatterns = [
    path("", v.ClientListView.as_view(), name="list"),
    path("new/", v.ClientCreateView.as_view(), name="create"),
    path("bulk/", v.ClientBulkView.as_view(), name="bulk"),
    path("regions/", v.subdivisions, name="subdivisions"),
    path("<int:pk>/", v.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", v.ClientEditView.as_view(), name="edit"),
    path("<int:pk>/contacts/", v.ClientContactsTab.as_view(), name="contacts"),
    path("<int:pk>/sites/", v.ClientSitesTab.as_view(), name="sites"),
    path("<int:pk>/assets/", v.ClientAssetsTab.as_view(), name="assets"),
    path("<int:pk>/tickets/", v.ClientTicketsTab.as_view(), name="tickets"),
    path("<int:pk>/billing/", v.ClientBillingTab.as_view(), name="billing"),
    path("<int:pk>/documents/", v.ClientDocumentsTab.as_view(), name="documents"),
    path("<int:pk>/documents/upload/", v.ClientDocumentUploadView.as_view(), name="document_upload"),
    path("<int:client_pk>/documents/<int:document_pk>/", v.DocumentDownloadView.as_view(), name="document_download"),
    path("<int:client_pk>/documents/<int:document_pk>/delete/", v.DocumentDeleteView.as_view(),
         name="document_delete"),
    path("<int:pk>/activity/", v.ClientActivityTab.as_view(), name="activity"),
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
