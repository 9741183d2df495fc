"""Project-level views: home, health check, global search, activity, settings, and
the generic list/detail/edit/bulk views apps build on (opsmerge.views.generic)."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from .generic import msp_view
from .search import search

__all__ = ["healthz", "home", "search"]


@msp_view("view")
def home(request):
    return redirect("clients:list")


def healthz(request):
    """Liveness for load balancers and the `make run` smoke test: database reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
