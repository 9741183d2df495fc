from __future__ import annotations

from django import forms
from django.db.models import Q

from clients.forms import CustomFieldsMixin
from clients.models import Client, CustomField
from opsmerge.forms import MspModelForm, TagsField

from .models import Contact
from .services import contact_create, contact_update


class ContactForm(CustomFieldsMixin, MspModelForm):
    """Create or edit a person or an organisation (seed 002); role flags follow the
    service's rules (one primary per client, moved atomically)."""

    custom_fields_for = CustomField.AppliesTo.CONTACT
    # Declared (not generated) because generated querysets would be built outside a tenant scope.
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False)
    organisation = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False,
                                          label="Works for (organisation contact)")
    tags = TagsField()

    class Meta:
        model = Contact
        fields = ["kind", "client", "organisation", "first_name", "last_name", "organisation_name", "email", "phone",
                  "mobile", "job_title", "department", "office", "is_primary", "is_billing", "is_portal_user",
                  "is_technical", "is_vip", "is_active", "portal_sees_all_tickets", "notes"]
        widgets = {"kind": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"organisation": "Works for (organisation contact)", "organisation_name": "Organisation name",
                  "is_active": "Active"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current_client = self.instance.client_id
        # Archived clients never appear in pickers (seed 003); keep the current one.
        self.fields["client"].queryset = self.fields["client"].queryset.filter(
            ~Q(status=Client.Status.ARCHIVED) | Q(pk=current_client)).order_by("name")
        self.fields["client"].empty_label = "No client"
        orgs = self.fields["organisation"].queryset.filter(kind=Contact.Kind.ORGANISATION, deleted_at__isnull=True)
        if self.instance.pk:
            orgs = orgs.exclude(pk=self.instance.pk)
        self.fields["organisation"].queryset = orgs.select_related("client").order_by("organisation_name")
        self.fields["organisation"].label_from_instance = (
            lambda c: f"{c.display_name} ({c.client.name})" if c.client_id else c.display_name)
        if self.instance.pk:
            self.fields["tags"].initial = [t.name for t in self.instance.tags.all()]

    def save(self, *, actor=None) -> Contact:
        fields = self.changed_fields()
        tags = self.cleaned_data["tags"]
        custom = self.custom_field_values()
        if self.instance.pk:
            return contact_update(msp=self.msp, contact=self.instance, actor=actor, tags=tags, custom_fields=custom,
                                  **fields)
        return contact_create(msp=self.msp, actor=actor, tags=tags, custom_fields=custom, **fields)

