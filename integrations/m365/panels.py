"""What the Microsoft 365 integration adds to the client page (opsmerge.registry):
the tenants figure and card of the overview, and the connected-tenant gate of a
permanent delete."""

from __future__ import annotations

from .models import M365Tenant


def client_tenants(*, msp, obj) -> dict:
    """The client's tenants, read once per page (the figure and the card share them)."""
    if not hasattr(obj, "_m365_tenants"):
        obj._m365_tenants = list(M365Tenant.objects.filter(msp=msp, client=obj))
    return {"tenants": obj._m365_tenants}


def connected_tenants_gate(*, msp, client) -> str:
    connected = M365Tenant.objects.filter(msp=msp, client=client).exclude(
        consent_state__in=[M365Tenant.ConsentState.DISCONNECTED, M365Tenant.ConsentState.PENDING]).count()
    return f"{connected} Microsoft 365 tenant(s) are still connected: disconnect them first." if connected else ""
