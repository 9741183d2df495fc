"""Billing writes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.permissions import Op, require
from clients.bulk import audit_client_events, open_clients

from .models import Contract


@transaction.atomic
def clients_change_contract_template(*, msp, client_ids: Iterable[int], template, actor) -> int:
    """Point the clients' active contracts at `template`; a client without an active
    contract gets one from the template. Archived clients are skipped (seed 003)."""
    require(actor, Op.BULK_EDIT)
    if template.msp_id != msp.pk:
        raise ValueError("template of another MSP")
    rows = open_clients(msp, client_ids)
    ids = [pk for pk, _ in rows]
    active = Contract.objects.filter(msp=msp, client_id__in=ids, status=Contract.Status.ACTIVE)
    with_contract = set(active.values_list("client_id", flat=True))
    active.exclude(template=template).update(template=template)
    Contract.objects.bulk_create([
        Contract(msp=msp, client_id=pk, template=template, name=template.name, status=Contract.Status.ACTIVE)
        for pk in ids if pk not in with_contract
    ], batch_size=2000)
    audit_client_events(msp=msp, actor=actor, action="client.contract_template", rows=rows,
                        changes={"contract_template": [None, template.name]})
    return len(rows)
