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
    """FilterSets used by web lists and the API alike; `msp` comes from the request."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
