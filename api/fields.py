"""Serializer fields that never reach outside the request's MSP (tenancy layer 4)."""

from rest_framework import serializers


class MspRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key narrowed to the request's MSP: another MSP's id is answered
    exactly like a missing one ("object does not exist")."""

    def __init__(self, *, model, filters: dict | None = None, **kwargs):
        self.model = model
        self.filters = filters or {}
        if not kwargs.get("read_only"):
            # A lazy, empty queryset: the schema generator reads `.model` from it,
            # and nothing is queried before a request (and its scope) exists.
            kwargs["queryset"] = model._base_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        msp = getattr(request, "msp", None)
        if msp is None:
            return self.model._base_manager.none()
        return self.model.objects.filter(msp=msp, **self.filters)

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, int) and not -(2**63) < data < 2**63):
            self.fail("does_not_exist", pk_value=data)
        if isinstance(data, str) and data.isdigit() and int(data) >= 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class RelatedNamesField(serializers.ListField):
    """A writable list of strings read back from a prefetched relation, e.g. a
    client's domains (`attr="domain"`) or tags (`attr="name"`)."""

    def __init__(self, *, attr: str, max_length: int, **kwargs):
        self.attr = attr
        kwargs.setdefault("child", serializers.CharField(max_length=max_length, allow_blank=True))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [getattr(item, self.attr) for item in data.all()]
