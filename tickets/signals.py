from django.dispatch import Signal

# Sent after commit when a message is added to a ticket's conversation
# (kwargs: msp, ticket, comment). The portal app listens: a technician's public
# reply is emailed to the ticket's contact with a link to the ticket in the portal.
ticket_comment_added = Signal()
