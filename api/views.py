"""Base viewset of the API: querysets come from selectors, writes go through
services, and the MSP comes from the request (opened by the tenant middleware for
sessions and API keys alike)."""

from __future__ import annotations

from rest_framework import viewsets

from accounts.models import User
from accounts.permissions import Op
from opsmerge.tenancy import msp_get_or_404


class MspViewSet(viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"
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

    def get_object(self):
        """Detail lookups ignore list filters (an archived client is still found by
        id) and answer 404 alike for missing and foreign ids."""
        obj = msp_get_or_404(self.get_queryset(), msp=self.msp, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "msp": getattr(self.request, "msp", None)}
