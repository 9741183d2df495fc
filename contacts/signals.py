from django.dispatch import Signal

# Sent after commit when a contact gains or loses portal access
# (kwargs: msp, contact, granted: bool, actor). The portal app listens: it sends the
# invite on grant and ends open portal sessions on loss.
portal_access_changed = Signal()
