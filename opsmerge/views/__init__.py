"""Project-level views: home, health check, global search, activity, settings, and
the generic list/detail/edit/bulk views apps build on (opsmerge.views.generic)."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from .search import search

__all__ = ["healthz", "home", "search"]


@login_required
def home(request):
    return redirect("clients:list")


def healthz(request):
    """Liveness for load balancers and the `make run` smoke test: database reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
