def staff_msp(request):
    """Tenant scope resolver for signed-in MSP staff."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.msp_id:
        return user.msp
    return None
