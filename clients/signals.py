from django.dispatch import Signal

# Sent after commit when a client is archived or restored (kwargs: msp, client,
# archived: bool, actor). The portal ends open sessions of the client's contacts
# ("Portal access is paused"); billing/accounting links can deactivate the customer.
client_archive_changed = Signal()
