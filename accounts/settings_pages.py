"""Settings → Tech groups (Admins; Op.SETTINGS): teams of technicians clients are associated with."""

from __future__ import annotations

from django import forms
from django.db.models import Count
from django.shortcuts import render

from opsmerge.forms import MspModelForm
from opsmerge.views.generic import msp_view
from opsmerge.views.settings_pages import SettingsObjectEditView

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


class TechGroupEditView(SettingsObjectEditView):
    form_class = TechGroupForm
    model = TechGroup
    pk_kwarg = "tech_group_pk"
    list_url_name = "settings:tech_groups"
    noun = "tech group"
