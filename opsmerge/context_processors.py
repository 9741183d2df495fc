from .permissions import permissions_for


def tenant(request):
    """The current MSP and the signed-in user's permissions for templates."""
    user = getattr(request, "user", None)
    return {
        "current_msp": getattr(request, "msp", None),
        "perms_ops": permissions_for(user) if user is not None else frozenset(),
    }
