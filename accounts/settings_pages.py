"""Settings → Tech groups (Admins; Op.SETTINGS): teams of technicians clients are associated with."""

from __future__ import annotations

from django import forms
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse

from opsmerge.forms import MspModelForm
from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import ObjectEditView, msp_view

from .models import TechGroup, User
from .permissions import Op
from .tech_groups import tech_group_create, tech_group_update


class TechGroupForm(MspModelForm):
    members = forms.ModelMultipleChoiceField(queryset=User.objects.all(), required=False,
                                             widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = TechGroup
        fields = ["name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(User.objects.filter(techgroupmember__msp=self.msp,
                                                                      techgroupmember__group=self.instance))

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


class TechGroupEditView(ObjectEditView):
    form_class = TechGroupForm
    permission = Op.SETTINGS
    template_name = "settings/form.html"
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
