from django.dispatch import Signal

# Sent after a staff user was deactivated (accounts.team.user_deactivate), inside its
# transaction: apps above accounts end what the user holds (api revokes their keys).
# kwargs: msp, user, actor.
user_deactivated = Signal()
