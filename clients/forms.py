"""Forms of the clients web UI. Each persists through a service (clients.services,
clients.onboarding); choices are narrowed to the MSP by MspFormMixin."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import TechGroup, User
from opsmerge.forms import MspForm, MspModelForm, TagsField
from opsmerge.validators import (
    country_choices,
    subdivision_matches_country,
    time_zone_choices,
    validate_subdivision_code,
)

from .business_hours import business_hours_for, business_hours_set
from .custom_fields import custom_field_definitions
from .models import BusinessHours, Client, ClientDocument, CustomField
from .onboarding import client_onboard
from .services import client_update

WEEKDAYS = BusinessHours.Weekday.choices
DEFAULT_HOURS = {d: (datetime.time(9), datetime.time(17)) for d in range(5)}


def _country_field(**kwargs):
    return forms.ChoiceField(choices=[("", "—"), *country_choices()], required=False, **kwargs)


def _time_zone_field(**kwargs):
    return forms.ChoiceField(choices=time_zone_choices(), initial="UTC", label="Time zone", **kwargs,
                             help_text="IANA time zone; SLA clocks use it.")


def _domains_field():
    return forms.CharField(required=False, label="Email domains",
                           help_text="Comma separated; the first is the primary domain (routes inbound mail).")


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]



LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}  # raster images a browser shows; never SVG


def clean_logo(upload):
    """A new logo must be a PNG, JPEG, GIF or WebP of at most 2 MB (ImageField has
    already checked that Pillow can read it)."""
    image = getattr(upload, "image", None)
    if image is None:  # nothing new uploaded: the saved logo (or none)
        return upload
    if image.format not in LOGO_FORMATS:
        raise ValidationError("Upload the logo as a PNG, JPEG, GIF or WebP image.")
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(f"The logo is larger than {LOGO_MAX_BYTES // (1024 * 1024)} MB.")
    return upload


class LogoMixin:
    def clean_logo(self):
        return clean_logo(self.cleaned_data.get("logo"))


class CustomFieldsMixin:
    """Adds one `cf_<key>` field per custom field the MSP defined for
    `custom_fields_for` ("client" / "contact"); values validate in the service."""

    custom_fields_for: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_field_defs = custom_field_definitions(msp=self.msp, applies_to=self.custom_fields_for)
        current = getattr(getattr(self, "instance", None), "custom_fields", None) or {}
        for definition in self.custom_field_defs:
            kind = definition.field_type
            common = {"label": definition.label, "required": False, "initial": current.get(definition.key)}
            if kind == CustomField.Type.NUMBER:
                field = forms.DecimalField(**common)
            elif kind == CustomField.Type.DATE:
                field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            elif kind == CustomField.Type.BOOLEAN:
                field = forms.BooleanField(**common)
            elif kind == CustomField.Type.CHOICE:
                field = forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in definition.choices], **common)
            else:
                field = forms.CharField(max_length=500, **common)
            field.custom_required = definition.required
            self.fields[f"cf_{definition.key}"] = field

    @property
    def custom_field_names(self) -> list[str]:
        return [f"cf_{d.key}" for d in self.custom_field_defs]

    def custom_field_values(self) -> dict[str, Any]:
        return {d.key: self.cleaned_data.get(f"cf_{d.key}") for d in self.custom_field_defs}


class BusinessHoursMixin:
    """Weekly hours (one interval per weekday) and holidays ("YYYY-MM-DD Name" lines)."""

    def add_hours_fields(self, intervals: dict[int, tuple], holidays: list[tuple]) -> None:
        for day, label in WEEKDAYS:
            opens, closes = intervals.get(day, (None, None))
            widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            self.fields[f"hours_{day}_opens"] = forms.TimeField(required=False, label=f"{label} opens",
                                                                initial=opens, widget=widget)
            self.fields[f"hours_{day}_closes"] = forms.TimeField(required=False, label=f"{label} closes",
                                                                 initial=closes, widget=widget)
        self.fields["holidays"] = forms.CharField(
            required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-25 Christmas Day"}),
            initial="\n".join(f"{d.isoformat()} {n}" for d, n in holidays),
            help_text="One per line: date (YYYY-MM-DD) and a name.")

    @property
    def weekday_rows(self):
        return [(label, self[f"hours_{day}_opens"], self[f"hours_{day}_closes"]) for day, label in WEEKDAYS]

    def clean_holidays(self):
        out = []
        for number, line in enumerate((self.cleaned_data.get("holidays") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day, _, name = line.partition(" ")
            try:
                out.append((datetime.date.fromisoformat(day), name.strip() or "Holiday"))
            except ValueError:
                raise ValidationError(f"Line {number}: “{day}” is not a date as YYYY-MM-DD.") from None
        return out

    def clean(self):
        data = super().clean()
        data["intervals"] = self.hours_intervals()
        return data

    def hours_intervals(self) -> list[tuple[int, datetime.time, datetime.time]]:
        intervals = []
        for day, label in WEEKDAYS:
            opens, closes = self.cleaned_data.get(f"hours_{day}_opens"), self.cleaned_data.get(f"hours_{day}_closes")
            if opens and closes:
                intervals.append((day, opens, closes))
            elif opens or closes:
                self.add_error(f"hours_{day}_closes", f"{label}: give both opening and closing time, or neither.")
        return intervals


class ClientOnboardForm(LogoMixin, BusinessHoursMixin, CustomFieldsMixin, MspForm):
    """The new-client form of seed 004: one save creates client, HQ site, primary
    contact and business hours (clients.onboarding.client_onboard)."""

    custom_fields_for = CustomField.AppliesTo.CLIENT

    name = forms.CharField(max_length=200, label="Client name")
    status = forms.ChoiceField(choices=[(Client.Status.ACTIVE, "Active"), (Client.Status.LEAD, "Lead")],
                               initial=Client.Status.ACTIVE)
    industry = forms.CharField(max_length=100, required=False)
    phone_country_code = forms.CharField(max_length=4, required=False, label="Code",
                                         widget=forms.TextInput(attrs={"placeholder": "44", "inputmode": "numeric"}))
    phone_number = forms.CharField(max_length=20, required=False, label="Phone number",
                                   widget=forms.TextInput(attrs={"placeholder": "2079460000", "inputmode": "numeric"}))
    website = forms.URLField(required=False, assume_scheme="https")
    logo = forms.ImageField(required=False, help_text="PNG, JPEG, GIF or WebP, up to 2 MB.")
    tags = TagsField()
    contact_first_name = forms.CharField(max_length=100, label="First name")
    contact_last_name = forms.CharField(max_length=100, label="Last name")
    contact_email = forms.EmailField(label="Email", help_text="The client's address, not your own sign-in email.")
    contact_phone = forms.CharField(max_length=40, required=False, label="Phone")
    site_name = forms.CharField(max_length=120, label="Site name", initial="Head office")
    street = forms.CharField(max_length=255, required=False)
    city = forms.CharField(max_length=120, required=False)
    postal_code = forms.CharField(max_length=20, required=False, label="Postal code")
    country = _country_field()
    state = forms.CharField(max_length=6, required=False, label="State / region",
                            help_text="ISO 3166-2 code, e.g. US-CA or GB-MAN.")
    time_zone = _time_zone_field()
    domains = _domains_field()
    account_manager = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    tech_groups = forms.ModelMultipleChoiceField(queryset=TechGroup.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple, label="Tech groups")

    service_error_fields = {
        "primary_contact.email": "contact_email", "primary_contact.first_name": "contact_first_name",
        "primary_contact.last_name": "contact_last_name", "primary_contact.phone": "contact_phone",
        "hq_site.name": "site_name", "hq_site.street": "street", "hq_site.city": "city",
        "hq_site.postal_code": "postal_code", "hq_site.country": "country", "hq_site.state": "state",
        "business_hours": "hours_6_closes",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_hours_fields(DEFAULT_HOURS, [])

    def clean(self):
        data = super().clean()
        state, country = (data.get("state") or "").upper(), data.get("country") or ""
        if state:
            try:
                validate_subdivision_code(state)
            except ValidationError as exc:
                self.add_error("state", exc)
            else:
                if not subdivision_matches_country(state, country):
                    self.add_error("state", f"{state} is not a region of {country or 'the chosen country'}.")
        data["state"] = state
        return data

    def clean_contact_email(self):
        email = self.cleaned_data["contact_email"].strip().lower()
        if self.user is not None and email == self.user.email.lower():
            raise ValidationError("Use the client's email, not your own sign-in email.")
        return email

    def save(self, *, actor=None) -> Client:
        data = self.cleaned_data
        address = {k: data[k] for k in ("street", "city", "postal_code", "country", "state")}
        client_fields = {k: data[k] for k in ("name", "status", "industry", "phone_country_code", "phone_number",
                                              "website", "time_zone", "account_manager")}
        client_fields.update(address)
        if data.get("logo"):
            client_fields["logo"] = data["logo"]
        return client_onboard(
            msp=self.msp, actor=actor,
            client={**client_fields, "domains": _split(data["domains"]), "tags": data["tags"],
                    "tech_groups": list(data["tech_groups"]), "custom_fields": self.custom_field_values()},
            hq_site={"name": data["site_name"], "time_zone": "", **address},
            primary_contact={"first_name": data["contact_first_name"], "last_name": data["contact_last_name"],
                             "email": data["contact_email"], "phone": data["contact_phone"]},
            business_hours=data["intervals"], holidays=data["holidays"],
        )


class ClientEditForm(LogoMixin, BusinessHoursMixin, CustomFieldsMixin, MspModelForm):
    custom_fields_for = CustomField.AppliesTo.CLIENT

    time_zone = _time_zone_field()
    country = _country_field()
    website = forms.URLField(required=False, assume_scheme="https")
    domains = _domains_field()
    tags = TagsField()
    tech_groups = forms.ModelMultipleChoiceField(queryset=TechGroup.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple, label="Tech groups")

    class Meta:
        model = Client
        fields = ["name", "status", "industry", "time_zone", "priority_floor", "phone_country_code", "phone_number",
                  "website", "street", "city", "postal_code", "country", "state", "notes", "logo", "account_manager",
                  "psa_id"]
        labels = {"phone_country_code": "Code", "priority_floor": "Default ticket priority floor"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        client = self.instance
        if client.is_archived:
            del self.fields["status"]  # archive / restore are lifecycle actions
        else:
            self.fields["status"].choices = [(Client.Status.ACTIVE, "Active"), (Client.Status.LEAD, "Lead")]
        self.fields["domains"].initial = ", ".join(d.domain for d in client.domains.all())
        self.fields["tags"].initial = [t.name for t in client.tags.all()]
        self.fields["tech_groups"].initial = list(client.tech_groups.all())
        hours, holidays = business_hours_for(msp=self.msp, client=client)
        self.add_hours_fields({h.weekday: (h.opens_at, h.closes_at) for h in hours},
                              [(h.date, h.name) for h in holidays])

    def save(self, *, actor=None) -> Client:
        data = self.cleaned_data
        fields = self.changed_fields()
        if not data.get("logo"):
            fields.pop("logo", None)
        client = client_update(
            msp=self.msp, client=self.instance, actor=actor, domains=_split(data["domains"]), tags=data["tags"],
            tech_groups=list(data["tech_groups"]), custom_fields=self.custom_field_values(), **fields,
        )
        business_hours_set(msp=self.msp, client=client, site=None, intervals=data["intervals"],
                           holidays=data["holidays"])
        return client


# ---------------------------------------------------------------- bulk action parameters


class TagNamesForm(MspForm):
    tags = TagsField(required=True, label="Tags", help_text="Comma separated, e.g. tier:gold, migration-2026.")


class ArchiveReasonForm(MspForm):
    reason = forms.CharField(max_length=500, required=False, label="Reason (optional)",
                             help_text="Kept in the audit log and shown on the archived client.")


# ---------------------------------------------------------------- documents


class DocumentUploadForm(MspForm):
    file = forms.FileField(label="File", help_text=f"Up to {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB: "
                                                    "PDF, Office documents, images, text or CSV.")
    name = forms.CharField(max_length=255, required=False, label="Name", help_text="Defaults to the file name.")

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def save(self, *, actor=None) -> ClientDocument:
        from .documents import document_upload

        return document_upload(msp=self.msp, client=self.client, upload=self.cleaned_data["file"],
                               name=self.cleaned_data["name"], actor=actor)
