from django import forms
from django.utils import timezone

from .services import roles_grantable_by


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who or what uses the key, e.g. “RMM sync”.")
    role = forms.ChoiceField(help_text="The key acts with this role's permissions.")
    expires_at = forms.DateTimeField(
        required=False, label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional. Leave blank for a key that does not expire.",
    )
    rate_limit_per_minute = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, label="Rate limit (requests per minute)",
        help_text="Optional. Blank: the default limit.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles_grantable_by(user)]

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return value
