from django import forms
from django.db.models import Q

from clients.models import Client
from contacts.models import Contact
from opsmerge.forms import MspModelForm
from sites.models import Site

from .models import Asset
from .services import asset_update


class AssetForm(MspModelForm):
    # Declared (not generated) because generated querysets would be built outside a tenant scope.
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, label="User")

    class Meta:
        model = Asset
        fields = ["name", "kind", "client", "site", "contact", "manufacturer", "model", "serial_number", "os",
                  "os_version", "is_managed", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = self.fields["client"].queryset.filter(
            ~Q(status=Client.Status.ARCHIVED) | Q(pk=self.instance.client_id)).order_by("name")
        self.fields["site"].queryset = self.fields["site"].queryset.select_related("client").order_by("client__name", "name")
        self.fields["site"].label_from_instance = lambda s: f"{s.client.name} · {s.name}"
        self.fields["contact"].queryset = self.fields["contact"].queryset.filter(deleted_at__isnull=True).filter(
            client_id=self.instance.client_id) if self.instance.client_id else self.fields["contact"].queryset.none()

    def save(self, *, actor=None) -> Asset:
        return asset_update(msp=self.msp, asset=self.instance, actor=actor, **self.changed_fields())
