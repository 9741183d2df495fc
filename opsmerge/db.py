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


def lock_for_update(instance, *, message: str):
    """Lock `instance`'s row for the rest of the transaction (SELECT … FOR UPDATE).

    Updates lock first so that a concurrent permanent delete or merge either runs
    before (and the update answers `message` instead of re-inserting the row, which
    is what a plain save() does when its UPDATE touches nothing) or waits for us.
    """
    from django.core.exceptions import ValidationError

    model = type(instance)
    rows = model._base_manager.select_for_update(of=("self",)).filter(pk=instance.pk, msp_id=instance.msp_id)
    if not rows.exists():
        raise ValidationError(message)
