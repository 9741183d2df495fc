"""/api/v1/contacts/: people and organisations, over contacts.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import Op
from clients.models import Client
from contacts.filtersets import ContactFilterSet
from contacts.lifecycle import contact_delete, contact_restore
from contacts.models import Contact
from contacts.services import contact_create, contact_update

from ..fields import MspRelatedField, RelatedNamesField
from ..views import MspViewSet


class ContactSerializer(serializers.ModelSerializer):
    client = MspRelatedField(model=Client, allow_null=True, required=False)
    organisation = MspRelatedField(model=Contact, filters={"kind": Contact.Kind.ORGANISATION,
                                                           "deleted_at__isnull": True},
                                   allow_null=True, required=False)
    tags = RelatedNamesField(attr="name", max_length=64)
    custom_fields = serializers.DictField(required=False, help_text="Values by custom field key.")
    display_name = serializers.CharField(read_only=True)
    is_pending_setup = serializers.BooleanField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id", "client", "kind", "organisation", "display_name", "first_name", "last_name", "organisation_name",
            "email", "phone", "mobile", "job_title", "department", "office", "notes",
            "is_primary", "is_billing", "is_portal_user", "is_technical", "is_vip", "is_active",
            "portal_sees_all_tickets", "is_pending_setup", "tags", "custom_fields", "source", "m365_upn",
            "created_at", "updated_at",
        ]
        read_only_fields = ["source", "m365_upn", "created_at", "updated_at"]

    def create(self, validated_data):
        view = self.context["view"]
        return contact_create(msp=view.msp, actor=view.actor, source=Contact.Source.API, **validated_data)

    def update(self, instance, validated_data):
        view = self.context["view"]
        return contact_update(msp=view.msp, contact=instance, actor=view.actor, **validated_data)


class ContactViewSet(MspViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                     mixins.UpdateModelMixin):
    """Contacts of the MSP's clients (and contacts without a client). Soft-deleted
    contacts are not part of the API, except as the target of `restore`."""

    queryset = Contact._base_manager.none()  # for the schema generator only
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    write_op = Op.CONTACT_EDIT
    ordering_fields = ["last_name", "first_name", "email", "created_at", "updated_at"]
    ordering = ["last_name", "first_name"]

    action_ops = {"destroy": Op.CONTACT_DELETE, "restore": Op.CONTACT_RESTORE}

    @extend_schema(summary="Delete a contact (soft delete: history is kept; a Super Admin can restore it)")
    def destroy(self, request, pk=None):
        contact_delete(msp=self.msp, contact=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ContactSerializer,
                   summary="Restore a soft-deleted contact (Super Admin)",
                   description="Refused (400) when the contact is not deleted, was merged into another, or "
                               "another live contact of its client now uses its email. The contact comes back "
                               "without the primary flag.")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        contact = contact_restore(msp=self.msp, contact=self.get_object(), actor=self.actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=contact.pk)).data)

    def get_queryset(self):
        contacts = Contact.objects.filter(msp=self.msp)
        if self.action != "restore":  # only restore addresses soft-deleted contacts
            contacts = contacts.alive()
        return contacts.select_related("client", "organisation").prefetch_related("tags")
