"""Base viewset of the API: querysets come from selectors, writes go through
services, and the MSP comes from the request (opened by the tenant middleware for
sessions and API keys alike)."""

from __future__ import annotations

from django.http import Http404
from rest_framework import viewsets

from accounts.models import User
from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404


class MspViewSet(viewsets.GenericViewSet):
    # Any path segment reaches the view, so a malformed id gets the API's JSON 404
    # rather than the HTML page of an unmatched URL.
    lookup_value_regex = r"[^/]+"
    read_op = Op.VIEW
    write_op = Op.CLIENT_EDIT

    @property
    def msp(self):
        return self.request.msp

    @property
    def actor(self):
        """What services record as the actor: the staff user, or the API key's
        principal (audited by label, e.g. “API key “Billing sync””)."""
        return self.request.user

    @property
    def actor_user(self) -> User | None:
        """The staff user behind the request, for fields that must point at a User
        (comment author, archived_by …); None for API keys."""
        user = self.request.user
        return user if isinstance(user, User) else None

    def perform_content_negotiation(self, request, force=False):
        # The API speaks JSON (file downloads return their own response): an Accept
        # header we cannot honour gets JSON rather than a 406.
        return super().perform_content_negotiation(request, force=True)

    def lookup_pk(self) -> int:
        raw = str(self.kwargs.get("pk", ""))
        if not raw.isascii() or not raw.isdigit() or int(raw) >= 2**63:
            raise Http404
        return int(raw)

    def get_object(self):
        """Detail lookups ignore list filters (an archived client is still found by
        id) and answer 404 alike for missing and foreign ids."""
        obj = msp_get_or_404(self.get_queryset(), msp=self.msp, pk=self.lookup_pk())
        self.check_object_permissions(self.request, obj)
        return obj

    def validated(self, serializer_class) -> dict:
        """The request body checked by `serializer_class` (400 naming the field)."""
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data

    def paginated(self, queryset, serializer_class):
        """A page of a sub-resource (a ticket's comments, a job's row errors …) in the
        list envelope of the API."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "msp": getattr(self.request, "msp", None)}
