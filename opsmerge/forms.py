"""Form bases. Every choice of another object is narrowed to the request's MSP
(tenancy layer 4): a crafted id of another MSP is "not a valid choice", never a
leak. Forms persist through services: `save(actor=)` calls one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from opsmerge.tenancy import MspOwnedModel


def narrow_to_msp(form: forms.BaseForm, msp) -> None:
    """Give every ModelChoiceField / ModelMultipleChoiceField the rows of `msp` only
    (plus the model field's limit_choices_to). Querysets declared in a form class are
    built at import time, outside any tenant scope, so declare them as
    `Model.objects.none()` and narrow further in __init__ after super().__init__().
    A field over a model that is neither MSP-owned nor a staff user is refused."""
    for name, form_field in form.fields.items():
        if not isinstance(form_field, forms.ModelChoiceField):
            continue
        model = form_field.queryset.model
        if issubclass(model, MspOwnedModel):
            queryset = model._default_manager.filter(msp=msp)
        elif model._meta.label == settings.AUTH_USER_MODEL:
            queryset = model._default_manager.filter(msp=msp, is_active=True)
        else:
            raise ImproperlyConfigured(f"{type(form).__name__}.{name} offers {model.__name__} rows not owned by an MSP")
        limit = form_field.get_limit_choices_to() if hasattr(form_field, "get_limit_choices_to") else None
        form_field.queryset = queryset.complex_filter(limit) if limit else queryset


class MspFormMixin:
    """`msp` and `user` are required keyword arguments of every form."""

    # Service error keys that are not field names, e.g. {"primary_contact.email": "contact_email"}.
    service_error_fields: dict[str, str] = {}

    def __init__(self, *args, msp, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.msp = msp
        self.user = user
        narrow_to_msp(self, msp)

    def save(self, *, actor=None):  # pragma: no cover - each form implements it
        raise NotImplementedError(f"{type(self).__name__}.save() must call a service")


class MspForm(MspFormMixin, forms.Form):
    pass


class MspModelForm(MspFormMixin, forms.ModelForm):
    """A ModelForm over an MSP-owned model; `msp` is never a form field."""

    def changed_fields(self) -> dict[str, Any]:
        """The model fields of this form, cleaned, for a service call."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching form fields (custom fields
    as `cf_<key>`), the rest on the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    mapping = getattr(form, "service_error_fields", {})
    for key, errors in exc.message_dict.items():
        target = mapping.get(key, key)
        if target not in form.fields and f"cf_{target}" in form.fields:
            target = f"cf_{target}"
        if target in form.fields and target not in form.errors:
            form.add_error(target, errors)
        else:
            label = key.split(".")[-1].replace("_", " ").capitalize() if key != "__all__" else ""
            form.add_error(None, [f"{label}: {e}" if label else e for e in errors])


def save_or_errors(form: forms.BaseForm, *, actor):
    """Validate `form` and `form.save(actor=)` it. A service's ValidationError lands
    on the form's fields (apply_service_errors). Returns what save() returned, or
    None when the form now carries errors."""
    if not form.is_valid():
        return None
    try:
        return form.save(actor=actor)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None


class TagsField(forms.CharField):
    """Free-text tags, comma separated; created on the fly by the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma separated, e.g. tier:gold, vertical:legal. New tags are created.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        seen: dict[str, str] = {}
        for part in text.split(","):
            name = " ".join(part.split())
            if name:
                if len(name) > 64:
                    raise ValidationError(f"“{name[:20]}…” is longer than 64 characters.")
                seen.setdefault(name.lower(), name)
        return list(seen.values())
