from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User

from .models import Ticket


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError at its field (or above the form)."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, errors in items:
        form.add_error(field if field in form.fields else None, errors)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks size, count and type."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class TicketReplyForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    is_internal = forms.BooleanField(label="Internal note (never shown to the client)", required=False)
    attachments = MultipleFileField(label="Attachments")


class TicketUpdateForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["status", "priority", "assigned_to"]

    def __init__(self, *args, msp, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(msp=msp, is_active=True).order_by("full_name")
        self.fields["assigned_to"].empty_label = "Unassigned"
