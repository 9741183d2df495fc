from django.urls import path

from .views import contacts as v
from .views import lifecycle as life_v

app_name = "contacts"

urlpatterns = [
    path("", v.ContactListView.as_view(), name="list"),
    path("new/", v.ContactCreateView.as_view(), name="create"),
    path("bulk/", v.ContactBulkView.as_view(), name="bulk"),
    path("<int:pk>/", v.ContactDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", v.ContactEditView.as_view(), name="edit"),
    path("<int:pk>/make-primary/", v.ContactMakePrimaryView.as_view(), name="make_primary"),
    path("<int:pk>/active/", v.ContactSetActiveView.as_view(), name="set_active"),
    path("deleted/", life_v.DeletedContactListView.as_view(), name="deleted"),
    path("merge/", life_v.ContactMergeView.as_view(), name="merge"),
    path("<int:pk>/delete/", life_v.ContactDeleteView.as_view(), name="delete"),
    path("<int:pk>/restore/", life_v.ContactRestoreView.as_view(), name="restore"),
]
