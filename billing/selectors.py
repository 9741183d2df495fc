"""Reads of billing that other pages show: a client's contract status (client list
column and overview card) and the outstanding-invoice gate of a permanent delete."""

from __future__ import annotations

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When

from .models import Contract, Invoice


def contract_status_subquery():
    """The status of the client's most relevant contract: an active one if any,
    else the newest. NULL when the client has no contract."""
    ranked = Contract.objects.filter(client=OuterRef("pk")).order_by(
        Case(When(status=Contract.Status.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-start_date",
    )
    return Subquery(ranked.values("status")[:1])


def contract_panel(*, msp, obj) -> dict:
    status = getattr(obj, "contract_status", None)
    return {"contract_status": status, "contract_label": dict(Contract.Status.choices).get(status, "No contract")}


def outstanding_invoices_gate(*, msp, client) -> str:
    owing = Invoice.objects.filter(msp=msp, client=client, outstanding_balance__gt=0).count()
    return f"{owing} invoice(s) still have an outstanding balance." if owing else ""
