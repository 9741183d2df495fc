from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from accounts.models import User
from assets.models import Asset
from clients.models import Client
from clients.selectors import client_pickable
from contacts.models import Contact
from opsmerge.forms import MspForm, MspModelForm
from sites.models import Site

from .models import Ticket
from .selectors import technicians
from .services import ticket_comment_add, ticket_create, ticket_update


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


class TicketReplyForm(MspForm):
    """A technician's public reply or internal note on `ticket`."""

    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    is_internal = forms.BooleanField(label="Internal note (never shown to the client)", required=False)
    attachments = MultipleFileField(label="Attachments")

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def save(self, *, actor=None):
        data = self.cleaned_data
        return ticket_comment_add(msp=self.msp, ticket=self.ticket, body=data["body"], author_user=actor,
                                  is_internal=data["is_internal"], attachments=data["attachments"])


class TicketUpdateForm(MspModelForm):
    """Status, priority and assignee (any active staff user of the MSP)."""

    class Meta:
        model = Ticket
        fields = ["status", "priority", "impact", "urgency", "assigned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = self.fields["assigned_to"].queryset.order_by("full_name")
        self.fields["assigned_to"].empty_label = "Unassigned"

    def save(self, *, actor=None) -> Ticket:
        # The service re-reads the ticket under a lock and diffs against the database,
        # so the instance the form has already changed is only its handle.
        return ticket_update(msp=self.msp, ticket=self.instance, actor=actor, **self.changed_fields())


class QuickSelect(forms.Select):
    """A <select> built by joining strings. Django renders one template per <option>,
    about 2 s for the 10,000 clients of a large MSP; this takes a few milliseconds."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join("", "<option value=\"{}\"{}>{}</option>", (
            (option, " selected" if str(option) in selected else "", label) for option, label in self.choices))
        return format_html("<select{}>{}</select>", flatatt({**self.build_attrs(self.attrs, attrs), "name": name}),
                           options)


class TicketCreateForm(MspModelForm):
    """A technician's new ticket. Contact, site and asset choices are those of the
    chosen client (the page swaps them by htmx when the client changes), so a crafted
    id of another client or MSP is "not a valid choice" at its field."""

    DEPENDENT_FIELDS = ("contact", "site", "asset")

    # Declared with .none(): MspModelForm narrows to the MSP, __init__ to the client.
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client",
                                    widget=QuickSelect)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="No contact")
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="No site")
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), required=False, empty_label="No asset")
    assigned_to = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned",
                                         label="Assignee")
    attachments = MultipleFileField(label="Attachments", help_text="Up to 5 files, 10 MB each.")

    class Meta:
        model = Ticket
        fields = ["client", "contact", "site", "asset", "subject", "description", "priority", "impact", "urgency",
                  "assigned_to"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_pickable(msp=self.msp).only("pk", "name")
        self.fields["assigned_to"].queryset = technicians(msp=self.msp)
        self.client = self.selected_client()
        on_client = {"client": self.client} if self.client is not None else {"pk__in": []}
        self.fields["contact"].queryset = (Contact.objects.alive().filter(msp=self.msp, **on_client)
                                           .order_by("first_name", "last_name", "organisation_name", "pk"))
        self.fields["contact"].label_from_instance = _contact_label
        self.fields["site"].queryset = Site.objects.filter(msp=self.msp, **on_client).order_by("-is_hq", "name")
        self.fields["asset"].queryset = Asset.objects.filter(msp=self.msp, is_active=True, **on_client)
        for name in self.DEPENDENT_FIELDS:
            self.fields[name].error_messages["invalid_choice"] = f"Choose a {name} of this client."
        if not self.is_bound and self.client is not None and not self.initial.get("contact"):
            # Seed 000: the primary contact is the default ticket subject when no individual is specified.
            self.initial["contact"] = self.fields["contact"].queryset.filter(is_primary=True).first()

    def selected_client(self) -> Client | None:
        """The client the dependent choices belong to: the posted one, else the initial."""
        value = self["client"].value()
        pk = getattr(value, "pk", value)
        if not str(pk or "").isdigit():
            return None
        return self.fields["client"].queryset.filter(pk=pk).first()

    def save(self, *, actor=None) -> Ticket:
        data = self.cleaned_data
        return ticket_create(msp=self.msp, actor=actor, source=Ticket.Source.TECHNICIAN,
                             client=data["client"], contact=data["contact"], site=data["site"], asset=data["asset"],
                             subject=data["subject"], description=data["description"], priority=data["priority"],
                             impact=data["impact"], urgency=data["urgency"],
                             assigned_to=data["assigned_to"], attachments=data["attachments"])


def _contact_label(contact: Contact) -> str:
    extras = [contact.email] if contact.email else []
    if contact.is_primary:
        extras.append("primary")
    if contact.is_vip:
        extras.append("VIP")
    if not contact.is_active:
        extras.append("inactive")
    return f"{contact.display_name} ({', '.join(extras)})" if extras else contact.display_name
