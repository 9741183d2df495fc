from django import template

from ..sla.state import duration_text

register = template.Library()


@register.filter
def sla_duration(delta) -> str:
    """A business-time timedelta as "2h 05m" / "3d 4h"."""
    return duration_text(delta) if delta is not None else ""
