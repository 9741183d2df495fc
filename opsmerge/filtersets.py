"""Base filterset: every choice field is narrowed to the request's MSP (tenancy
layer 4), so a crafted id from another MSP is simply "not a valid choice"."""

import django_filters


def msp_queryset(model, **filters):
    """Callable queryset for ModelChoiceFilter: the request's MSP only."""

    def queryset(request):
        msp = getattr(request, "msp", None)
        if msp is None:
            return model.objects.none()
        return model.objects.filter(msp=msp, **filters)

    return queryset


class MspFilterSet(django_filters.FilterSet):
    """FilterSets used by web lists and the API alike. The base queryset is narrowed
    to the request's MSP as well, so a caller that hands in a wider queryset still
    cannot filter across tenants (choice fields use `msp_queryset`)."""

    list_key = ""  # other apps' filters registered for this list (opsmerge.registry.list_filters)

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        msp = getattr(request, "msp", None)
        if queryset is not None and msp is not None:
            queryset = queryset.filter(msp=msp)
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        for entry in self.registered_filters():
            self.filters[entry.name] = django_filters.ChoiceFilter(
                field_name=entry.name, label=entry.label, choices=list(entry.choices), empty_label=entry.empty_label,
                method=lambda queryset, name, value, apply=entry.apply: apply(queryset, value) if value else queryset)
            self.filters[entry.name].parent = self

    @classmethod
    def registered_filters(cls):
        from .registry import list_filters

        return [entry for entry in list_filters if cls.list_key and entry.list_key == cls.list_key]
