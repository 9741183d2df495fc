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


def invoice_recipients(*, msp, client) -> tuple[list[str], str]:
    """The addresses an invoice goes to: the client's billing contacts, else its
    primary contact (live, active, with an address)."""
    from contacts.models import Contact

    from .models import InvoiceDelivery

    alive = Contact.objects.filter(msp=msp, client=client, is_active=True, deleted_at__isnull=True).exclude(email="")
    for audience, flag in ((InvoiceDelivery.Audience.BILLING, "is_billing"),
                           (InvoiceDelivery.Audience.PRIMARY, "is_primary")):
        emails = sorted({e.lower() for e in alive.filter(**{flag: True}).values_list("email", flat=True)})
        if emails:
            return emails, audience
    return [], ""


@transaction.atomic
def invoice_send(*, msp, invoice, actor):
    """Email the invoice (the document attached) to the client's billing contacts,
    else the primary contact. A draft becomes Sent; void invoices and archived
    clients are refused. The email goes out from a worker after commit."""
    from django.core.exceptions import ValidationError

    from clients.services import client_assert_open
    from opsmerge.audit import audit_record

    from .models import Invoice, InvoiceDelivery

    require(actor, Op.CLIENT_EDIT)
    if invoice.msp_id != msp.pk:
        raise ValidationError("Unknown invoice.")
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError(f"Invoice {invoice.number} is void: it is not sent.")
    if invoice.client is None:
        raise ValidationError(f"Invoice {invoice.number} has no client to send it to.")
    client_assert_open(invoice.client)
    recipients, audience = invoice_recipients(msp=msp, client=invoice.client)
    if not recipients:
        raise ValidationError(f"{invoice.client.name} has no active billing or primary contact with an email "
                              "address.")
    if invoice.status == Invoice.Status.DRAFT:
        Invoice.objects.filter(msp=msp, pk=invoice.pk).update(status=Invoice.Status.SENT)
        invoice.status = Invoice.Status.SENT
    delivery = InvoiceDelivery.objects.create(msp=msp, invoice=invoice, recipients=recipients, audience=audience,
                                              sent_by=actor if getattr(actor, "_meta", None) and
                                              actor._meta.label == "accounts.User" else None)
    audit_record(msp=msp, actor=actor, action="invoice.send", obj=invoice,
                 changes={"recipients": recipients, "audience": audience})
    from .tasks import invoice_email

    transaction.on_commit(lambda: invoice_email.delay(msp.pk, delivery.pk))
    return delivery


def invoice_email_send(*, msp, delivery_id: int) -> bool:
    """Send one delivery (once: a re-run after it was sent does nothing)."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    from opsmerge.emails import send_templated

    from .models import InvoiceDelivery

    delivery = (InvoiceDelivery.objects.select_related("invoice__client").filter(msp=msp, pk=delivery_id,
                                                                               sent_at__isnull=True).first())
    if delivery is None:
        return False
    invoice = delivery.invoice
    context = {"msp": msp, "invoice": invoice, "client": invoice.client}
    document = render_to_string("billing/invoice_document.html", context)
    send_templated(template="billing/email/invoice", to=delivery.recipients, context=context,
                   reply_to=[msp.support_email] if msp.support_email else None,
                   attachments=[(f"invoice-{invoice.number}.html", document, "text/html")])
    InvoiceDelivery.objects.filter(msp=msp, pk=delivery.pk).update(sent_at=timezone.now())
    return True
