from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """`?ordering=name,-created_at` over the view's `ordering_fields`, always ending
    in the primary key so pages never repeat or skip rows with equal sort keys."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view) or list(queryset.query.order_by) or []
        ordering = list(ordering)
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        return queryset.order_by(*ordering)
