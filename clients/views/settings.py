"""Settings → Custom fields (Admins; Op.SETTINGS): extra properties on clients and contacts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import Op
from opsmerge.forms import MspModelForm
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import MspView, msp_view
from opsmerge.views.settings_pages import SettingsObjectEditView

from ..custom_field_services import custom_field_create, custom_field_delete, custom_field_update
from ..models import CustomField


class CustomFieldForm(MspModelForm):
    choices_text = forms.CharField(required=False, label="Choices", widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="For choice fields: one value per line.")

    class Meta:
        model = CustomField
        fields = ["applies_to", "label", "key", "field_type", "required", "position"]
        labels = {"applies_to": "Applies to", "field_type": "Type"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices_text"].initial = "\n".join(str(c) for c in self.instance.choices or [])
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["applies_to"].disabled = True

    def save(self, *, actor=None):
        data = {**self.changed_fields(),
                "choices": [line.strip() for line in self.cleaned_data["choices_text"].splitlines() if line.strip()]}
        if self.instance.pk:
            return custom_field_update(msp=self.msp, field=self.instance, actor=actor, **data)
        return custom_field_create(msp=self.msp, actor=actor, **data)


@msp_view(Op.SETTINGS)
def custom_field_list(request):
    return render(request, "settings/custom_fields.html", {
        "fields": CustomField.objects.filter(msp=request.msp)})


class CustomFieldEditView(SettingsObjectEditView):
    form_class = CustomFieldForm
    model = CustomField
    pk_kwarg = "custom_field_pk"
    list_url_name = "settings:custom_fields"
    noun = "custom field"


class CustomFieldDeleteView(MspView):
    http_method_names = ["post"]
    write_permission = Op.SETTINGS

    def post(self, request, custom_field_pk):
        field = msp_get_or_404(CustomField.objects.all(), msp=self.msp, pk=custom_field_pk)
        custom_field_delete(msp=self.msp, field=field, actor=request.user)
        messages.success(request, f"Deleted custom field {field.label}.")
        return HttpResponseRedirect(reverse("settings:custom_fields"))
