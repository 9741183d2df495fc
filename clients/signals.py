from django.dispatch import Signal

# Sent after commit when a client is archived or restored (kwargs: msp, client,
# archived: bool, actor). The portal ends open sessions of the client's contacts
# ("Portal access is paused"); billing/accounting links can deactivate the customer.
client_archive_changed = Signal()

# Sent after commit when what a client's business calendar is made of changed: its
# business hours or holidays (or a site's), its time zone or a site's (kwargs: msp,
# client). The tickets app recomputes the SLA due times of the client's open tickets.
client_calendar_changed = Signal()
