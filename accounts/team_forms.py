"""Forms of Settings → Team, the invite acceptance page and the user's own account pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.db import transaction

from opsmerge.forms import MspForm

from .invites import invite_create, invite_ttl
from .models import TechGroup, User
from .team import grantable_roles, may_manage, user_change_role, user_set_tech_groups


class _TeamRoleForm(MspForm):
    role = forms.ChoiceField(choices=())
    tech_groups = forms.ModelMultipleChoiceField(queryset=TechGroup.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 help_text="Clients are associated with tech groups.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = grantable_roles(self.user)
        self.fields["tech_groups"].widget.attrs["wide"] = True


class InviteForm(_TeamRoleForm):
    email = forms.EmailField()
    field_order = ["email", "role", "tech_groups"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = invite_ttl().days
        self.fields["email"].help_text = (f"They get a link to set their name and password "
                                          f"(valid for {days} day{'s' if days != 1 else ''}).")

    def save(self, *, actor=None):
        data = self.cleaned_data
        return invite_create(msp=self.msp, actor=actor, email=data["email"], role=data["role"],
                             tech_groups=list(data["tech_groups"]))


class TeamMemberForm(_TeamRoleForm):
    """Role and tech groups of one user (each saved through its service)."""

    def __init__(self, *args, member: User, **kwargs):
        self.member = member
        super().__init__(*args, **kwargs)
        self.read_only = not may_manage(self.user, member)
        if self.read_only:  # a Super Admin seen by an Admin: shown, not changeable
            self.fields["role"].choices = [(member.role, member.get_role_display())]
            for form_field in self.fields.values():
                form_field.disabled = True
        self.initial.update(role=member.role, tech_groups=list(member.tech_groups.all()))

    @transaction.atomic
    def save(self, *, actor=None):
        data = self.cleaned_data
        user_change_role(msp=self.msp, actor=actor, user=self.member, role=data["role"])
        user_set_tech_groups(msp=self.msp, actor=actor, user=self.member, groups=list(data["tech_groups"]))
        return self.member


class AcceptInviteForm(forms.Form):
    first_name = forms.CharField(max_length=75, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=75, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
        return cleaned


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Current password, new password twice, the AUTH_PASSWORD_VALIDATORS."""

    error_messages = {
        **DjangoPasswordChangeForm.error_messages,
        "password_incorrect": "That is not your current password. Type it again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password2"].label = "New password again"
