"""Activity: the audit log, MSP-wide and per client (the client's Activity tab)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from opsmerge.models import AuditEvent

from .generic import msp_view

PER_PAGE = 50


def activity_page(request, queryset) -> dict:
    """Filter (?action= prefix, ?actor=, ?type=, ?q=) and paginate audit events."""
    msp = request.msp
    params = request.GET
    action = params.get("action", "").strip()[:60]
    object_type = params.get("type", "").strip()[:60]
    actor = params.get("actor", "")
    q = params.get("q", "").strip()[:100]
    if action:
        queryset = queryset.filter(action__startswith=action)
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    if actor.isdigit():
        queryset = queryset.filter(actor_id=int(actor))
    if q:
        queryset = queryset.filter(Q(object_repr__icontains=q) | Q(client_name__icontains=q) | Q(reason__icontains=q))
    page = Paginator(queryset.select_related("actor").order_by("-created_at", "-id"), PER_PAGE).get_page(params.get("page"))
    return {
        "events": page.object_list, "page_obj": page,
        "actors": get_user_model().objects.filter(msp=msp).order_by("full_name"),
        "types": ["client", "contact", "site", "asset", "ticket", "document", "customfield", "techgroup"],
        "f": {"action": action, "type": object_type, "actor": actor, "q": q},
        "is_filtered": bool(action or object_type or actor or q),
    }


@msp_view("audit_view")
def activity(request):
    context = activity_page(request, AuditEvent.objects.filter(msp=request.msp))
    return render(request, "activity.html", context)
