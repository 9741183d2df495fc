"""Small query helpers shared by selectors."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_subquery(queryset: QuerySet, fk: str, outer: str = "pk"):
    """Correlated COUNT(*) of `queryset` rows whose `fk` equals the outer row's `outer`.

    Used for list columns (asset count, open tickets …): one subquery per column
    instead of JOIN + COUNT DISTINCT, which multiplies rows when several counts are
    annotated on one list.
    """
    sub = (
        queryset.filter(**{fk: OuterRef(outer)})
        .order_by()
        .values(fk)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))
