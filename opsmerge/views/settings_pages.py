"""Settings: custom fields and tech groups (Admins; Op.SETTINGS)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.models import TechGroup, User
from accounts.permissions import Op
from accounts.tech_groups import tech_group_create, tech_group_update
from clients.custom_field_services import custom_field_create, custom_field_delete, custom_field_update
from clients.models import CustomField
from opsmerge.forms import MspModelForm
from opsmerge.tenancy import msp_get_or_404

from .generic import MspView, ObjectEditView, msp_view


@msp_view(Op.SETTINGS)
def settings_index(request):
    msp = request.msp
    return render(request, "settings/index.html", {
        "custom_field_count": CustomField.objects.filter(msp=msp).count(),
        "tech_group_count": TechGroup.objects.filter(msp=msp).count(),
    })


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


class CustomFieldEditView(ObjectEditView):
    form_class = CustomFieldForm
    permission = Op.SETTINGS
    template_name = "settings/form.html"
    success_message = "Custom field {object} saved."

    def get_object(self):
        if "custom_field_pk" not in self.kwargs:
            return None
        return msp_get_or_404(CustomField.objects.all(), msp=self.msp, pk=self.kwargs["custom_field_pk"])

    def get_context_data(self, **kwargs):
        return {**kwargs, "heading": f"Edit {self.object}" if self.object else "New custom field",
                "section_url": reverse("settings:custom_fields")}

    def get_success_url(self, obj):
        return reverse("settings:custom_fields")

    def get_cancel_url(self):
        return reverse("settings:custom_fields")


class CustomFieldDeleteView(MspView):
    http_method_names = ["post"]
    write_permission = Op.SETTINGS

    def post(self, request, custom_field_pk):
        field = msp_get_or_404(CustomField.objects.all(), msp=self.msp, pk=custom_field_pk)
        custom_field_delete(msp=self.msp, field=field, actor=request.user)
        messages.success(request, f"Deleted custom field {field.label}.")
        return HttpResponseRedirect(reverse("settings:custom_fields"))


class TechGroupForm(MspModelForm):
    members = forms.ModelMultipleChoiceField(queryset=User.objects.all(), required=False,
                                             widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = TechGroup
        fields = ["name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(User.objects.filter(techgroupmember__group=self.instance))

    def save(self, *, actor=None):
        data = self.cleaned_data
        if self.instance.pk:
            return tech_group_update(msp=self.msp, group=self.instance, actor=actor, name=data["name"],
                                     description=data["description"], members=list(data["members"]))
        return tech_group_create(msp=self.msp, actor=actor, name=data["name"], description=data["description"],
                                 members=list(data["members"]))


@msp_view(Op.SETTINGS)
def tech_group_list(request):
    groups = TechGroup.objects.filter(msp=request.msp).annotate(
        member_count=Count("techgroupmember", distinct=True), client_count=Count("clienttechgroup", distinct=True))
    return render(request, "settings/tech_groups.html", {"groups": groups})


class TechGroupEditView(CustomFieldEditView):
    form_class = TechGroupForm
    success_message = "Tech group {object} saved."

    def get_object(self):
        if "tech_group_pk" not in self.kwargs:
            return None
        return msp_get_or_404(TechGroup.objects.all(), msp=self.msp, pk=self.kwargs["tech_group_pk"])

    def get_context_data(self, **kwargs):
        return {**kwargs, "heading": f"Edit {self.object}" if self.object else "New tech group",
                "section_url": reverse("settings:tech_groups")}

    def get_success_url(self, obj):
        return reverse("settings:tech_groups")

    def get_cancel_url(self):
        return reverse("settings:tech_groups")
