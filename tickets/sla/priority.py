"""A new ticket's priority: the priority matrix (impact × urgency), then the client's
floor, then VIP auto-priority (seed 000). Pure: no queries."""

from __future__ import annotations

from ..models import Ticket

P = Ticket.Priority
LEVELS = [level.value for level in Ticket.Level]
PRIORITY_ORDER = [p.value for p in Ticket.Priority]
# VIP auto-priority (seed 000): a ticket of a VIP contact is at least High.
VIP_PRIORITY = P.HIGH

# ITIL-style default: the row is the impact, the column the urgency.
DEFAULT_MATRIX: dict[str, str] = {
    "high:high": P.URGENT, "high:medium": P.HIGH, "high:low": P.NORMAL,
    "medium:high": P.HIGH, "medium:medium": P.NORMAL, "medium:low": P.LOW,
    "low:high": P.NORMAL, "low:medium": P.LOW, "low:low": P.LOW,
}


def cell(impact: str, urgency: str) -> str:
    return f"{impact}:{urgency}"


def matrix_full(matrix: dict | None) -> dict[str, str]:
    """The MSP's matrix with any missing or unknown cell taken from the default."""
    matrix = matrix or {}
    return {key: matrix[key] if matrix.get(key) in PRIORITY_ORDER else default
            for key, default in DEFAULT_MATRIX.items()}


def raise_to(priority: str, floor: str) -> str:
    """`priority`, or `floor` when that is higher (blank floor: no floor)."""
    if floor and PRIORITY_ORDER.index(floor) > PRIORITY_ORDER.index(priority):
        return floor
    return priority


def ticket_priority(*, priority: str, impact: str = "", urgency: str = "", matrix: dict | None = None,
                    floor: str = "", vip: bool = False) -> str:
    """With impact and urgency both given the matrix decides (else the priority given);
    the client's floor and a VIP contact can only raise it."""
    if impact and urgency:
        priority = matrix_full(matrix)[cell(impact, urgency)]
    priority = raise_to(priority, floor)
    return raise_to(priority, VIP_PRIORITY) if vip else priority
