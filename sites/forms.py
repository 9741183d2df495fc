from django import forms

from clients.models import Client
from opsmerge.forms import MspModelForm
from opsmerge.validators import country_choices, time_zone_choices

from .models import Site
from .services import site_create, site_update


class SiteForm(MspModelForm):
    client = forms.ModelChoiceField(queryset=Client.objects.none())
    country = forms.ChoiceField(choices=[("", "—"), *country_choices()], required=False)
    time_zone = forms.ChoiceField(choices=[("", "Same as the client"), *time_zone_choices()], required=False,
                                  label="Time zone")

    class Meta:
        model = Site
        fields = ["name", "location", "is_hq", "time_zone", "street", "city", "postal_code", "country", "state"]
        labels = {"is_hq": "Headquarters (HQ)", "state": "State / region (ISO 3166-2)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = self.fields["client"].queryset.not_archived().order_by("name")
        if self.instance.pk:
            del self.fields["client"]  # a site stays with its client
        self.order_fields(["client", "name", "location"])

    def save(self, *, actor=None) -> Site:
        fields = self.changed_fields()
        if self.instance.pk:
            return site_update(msp=self.msp, site=self.instance, actor=actor, **fields)
        return site_create(msp=self.msp, client=self.cleaned_data["client"], actor=actor, **fields)
