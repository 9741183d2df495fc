"""Forms of the SLA settings page (MSP default policy, priority matrix, warnings) and
of a client's own SLA policy. Targets are entered in hours (decimals allowed, 0.25 =
15 minutes) and stored in minutes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import transaction

from opsmerge.forms import MspForm

from ..models import PRIORITY_TARGET_FIELDS, Ticket
from .policies import sla_settings_get
from .priority import DEFAULT_MATRIX, LEVELS, cell, matrix_full
from .services import sla_policy_set, sla_settings_set

KINDS = {"first_response": "First response", "resolution": "Resolution"}


def hours_text(minutes: int) -> str:
    """Minutes as hours for the form: 240 -> "4", 90 -> "1.5", 20 -> "0.33"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _hours_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0.02"), max_value=Decimal(24 * 365),
                              decimal_places=2, widget=forms.NumberInput(attrs={"step": "0.25", "class": "input-num"}))


class SlaPolicyForm(MspForm):
    """Targets per priority (hours, blank: none) and the business-hours toggle."""

    business_hours = forms.BooleanField(
        label="Count business hours only", required=False,
        help_text="The client's business hours (its site's, if the site has its own) in its time zone, holidays "
                  "skipped. Off: around the clock.")

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        for kind, fields in PRIORITY_TARGET_FIELDS.items():
            for priority, name in fields.items():
                self.fields[name] = _hours_field(f"{KINDS[kind]}, {priority}")
                minutes = getattr(policy, name)
                self.initial.setdefault(name, None if minutes is None else hours_text(minutes))
        self.initial.setdefault("business_hours", policy.business_hours)

    def target_rows(self):
        """[(priority label, first-response field, resolution field)] for the targets table."""
        return [(label, self[PRIORITY_TARGET_FIELDS["first_response"][value]],
                 self[PRIORITY_TARGET_FIELDS["resolution"][value]])
                for value, label in reversed(Ticket.Priority.choices)]

    def policy_values(self) -> dict:
        data = self.cleaned_data
        values = {"business_hours": data["business_hours"]}
        for fields in PRIORITY_TARGET_FIELDS.values():
            for name in fields.values():
                values[name] = None if data[name] is None else max(1, round(data[name] * 60))
        return values

    def save(self, *, actor=None):
        return sla_policy_set(msp=self.msp, client=self.policy.client, actor=actor, **self.policy_values())


class SlaSettingsForm(SlaPolicyForm):
    """Settings → SLA: the default policy plus the priority matrix and warnings."""

    warn_before_minutes = forms.IntegerField(
        label="Warn before breach (minutes)", min_value=1, max_value=7 * 24 * 60,
        help_text="The assignee gets an email this long before a due time, and again when it is breached.")
    notify_email = forms.EmailField(
        label="Warnings of unassigned tickets to", required=False,
        help_text="Blank: the MSP's support email, else its admins.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = sla_settings_get(msp=self.msp)
        matrix = matrix_full(settings.priority_matrix)
        for key in DEFAULT_MATRIX:
            impact, urgency = key.split(":")
            self.fields[f"m_{impact}_{urgency}"] = forms.ChoiceField(
                label=f"Impact {impact}, urgency {urgency}", choices=Ticket.Priority.choices)
            self.initial.setdefault(f"m_{impact}_{urgency}", matrix[key])
        self.initial.setdefault("warn_before_minutes", settings.warn_before_minutes)
        self.initial.setdefault("notify_email", settings.notify_email)

    def matrix_rows(self):
        """[(impact label, [field per urgency high → low])] for the matrix grid."""
        return [(impact.capitalize(), [self[f"m_{impact}_{urgency}"] for urgency in reversed(LEVELS)])
                for impact in reversed(LEVELS)]

    @transaction.atomic
    def save(self, *, actor=None):
        data = self.cleaned_data
        sla_settings_set(msp=self.msp, actor=actor, warn_before_minutes=data["warn_before_minutes"],
                         notify_email=data["notify_email"],
                         priority_matrix={cell(*key.split(":")): data[f"m_{key.replace(':', '_')}"]
                                          for key in DEFAULT_MATRIX})
        return super().save(actor=actor)
