"""Generic views, written once (NetBox style): an app's views module is a handful of
short declarative classes over these.

- `ObjectListView`: filterset + whitelisted sorting + pagination, in a constant
  number of queries (annotate counts in the queryset, prefetch many-to-many).
- `ObjectDetailView`: one object of the request's MSP (404 for missing and foreign).
- `ObjectEditView`: create/edit through an `MspModelForm` whose `save()` calls the
  app's service; service ValidationErrors land on the form fields.
- `ObjectActionView`: a POST-only button (make primary, mark inactive …).
- `BulkActionView`: acts on the selected rows or on everything matching the list's
  current filter, after a confirmation page that states the count.

Every view checks its permission op (a name the permission policy knows, e.g.
`accounts.permissions.Op.CLIENT_EDIT`) on the server through `guard` (403 otherwise); the
templates hide controls with `perms_ops`, but that is only cosmetics.
"""

from .base import MspView, guard, msp_view
from .bulk import BulkAction, BulkActionView
from .lists import CappedPaginator, ObjectListView, compact_model_choices, friendly_empty_choices
from .objects import ObjectActionView, ObjectDetailView, ObjectEditView

__all__ = [
    "BulkAction",
    "BulkActionView",
    "CappedPaginator",
    "MspView",
    "ObjectActionView",
    "ObjectDetailView",
    "ObjectEditView",
    "ObjectListView",
    "compact_model_choices",
    "friendly_empty_choices",
    "guard",
    "msp_view",
]
