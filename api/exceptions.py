"""One error body for every failure (docs/api.md#errors):

    {"type": "validation_error", "errors": [{"code": "required", "detail": "…", "attr": "name"}]}

`type` is validation_error (400), client_error (other 4xx) or server_error; `attr` names
the field at fault (dotted for nested/list items, null when not about one field).
Django's ValidationError (raised by services), PermissionDenied, Http404 and
ProtectedError are translated so views stay thin and never answer 500 for bad input.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _flatten(detail, attr: str | None, out: list[dict]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__") else str(key)
            _flatten(value, f"{attr}.{name}" if attr and name else (name or attr), out)
    elif isinstance(detail, list):
        nested = any(isinstance(item, (dict, list)) for item in detail)
        for index, item in enumerate(detail):
            _flatten(item, f"{attr}.{index}" if nested and attr else attr, out)
    else:
        out.append({"code": getattr(detail, "code", "error") or "error", "detail": str(detail), "attr": attr})


def _translate(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound()  # never echo why: missing and foreign look the same
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Conflict("Other records still refer to this one; it cannot be deleted.")
    return exc


def api_exception_handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    errors: list[dict] = []
    if isinstance(exc, exceptions.ValidationError):
        _flatten(exc.detail, None, errors)
    else:
        _flatten(exc.detail if isinstance(exc, exceptions.APIException) else response.data.get("detail", ""),
                 None, errors)
    if not errors:
        errors = [{"code": "invalid", "detail": "Invalid input.", "attr": None}]
    kind = "validation_error" if response.status_code == 400 else (
        "server_error" if response.status_code >= 500 else "client_error")
    response.data = {"type": kind, "errors": errors}
    return response
