"""OpenAPI generation: every operation documents the shared error body for the
statuses it can answer, so schema-conformance checks (schemathesis in CI) hold for
errors as well as successes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable code, e.g. required, invalid, not_found.")
    detail = serializers.CharField(help_text="Human-readable message.")
    attr = serializers.CharField(allow_null=True, help_text="The field at fault (dotted path), or null.")


class ErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])
    errors = ErrorItemSerializer(many=True)


class ApiAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        if self.method != "GET" or self._is_list_view() or self.get_filter_backends():
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # unknown / foreign id, or a page past the end
        if self.method in ("DELETE", "POST", "PUT", "PATCH"):
            codes.append("409")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.view.__class__.__module__.startswith("drf_spectacular"):
            return responses
        for code in self._error_codes():
            responses.setdefault(code, self._get_response_for_code(ErrorResponseSerializer, code,
                                                                   direction=direction))
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "opsm_<msp>_<prefix>_<secret>",
                "description": "An API key created in Settings → API keys."}
