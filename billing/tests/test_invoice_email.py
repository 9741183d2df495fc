"""Invoice emails go to the client's billing contacts, else the primary contact."""

from __future__ import annotations

import pytest
from django.core import mail

from billing.models import Invoice, InvoiceDelivery
from billing.services import invoice_email_send
from billing.tests.factories import InvoiceFactory
from clients.lifecycle import client_archive
from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.tenancy import msp_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def celery_eager(celery_eager):
    """Every test here runs Celery eagerly (the root conftest's fixture)."""
    return celery_eager


@pytest.fixture
def acme(msp):
    return ClientFactory(msp=msp, name="Acme Ltd")


def send(web, invoice, capture):
    with capture(execute=True):
        return web.post(f"/billing/invoices/{invoice.pk}/send/", follow=True)


def test_invoice_goes_to_billing_contacts_with_the_document(web, msp, acme, django_capture_on_commit_callbacks):
    ContactFactory(msp=msp, client=acme, is_primary=True, email="boss@acme.test")
    ContactFactory(msp=msp, client=acme, is_billing=True, email="Money@acme.test")
    ContactFactory(msp=msp, client=acme, is_billing=True, email="ap@acme.test")
    ContactFactory(msp=msp, client=acme, is_billing=True, is_active=False, email="left@acme.test")
    invoice = InvoiceFactory(msp=msp, client=acme, number="INV-77", total="120.00", status=Invoice.Status.DRAFT)
    page = send(web, invoice, django_capture_on_commit_callbacks)
    assert "is being emailed to ap@acme.test, money@acme.test" in page.content.decode()
    [message] = mail.outbox
    assert message.to == ["ap@acme.test", "money@acme.test"]
    assert message.subject.startswith("Invoice INV-77")
    [(filename, content, mimetype)] = message.attachments
    assert filename == "invoice-INV-77.html" and "120.00" in content and mimetype == "text/html"
    with msp_scope(msp):
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.SENT
        delivery = InvoiceDelivery.objects.get(msp=msp)
        assert delivery.audience == "billing" and delivery.sent_at is not None
        assert invoice_email_send(msp=msp, delivery_id=delivery.pk) is False  # never twice
    assert len(mail.outbox) == 1


def test_falls_back_to_the_primary_contact(web, msp, acme, django_capture_on_commit_callbacks):
    ContactFactory(msp=msp, client=acme, is_primary=True, email="boss@acme.test")
    invoice = InvoiceFactory(msp=msp, client=acme, total="10.00")
    send(web, invoice, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["boss@acme.test"]]


def test_refusals_are_messages(web, msp, user, acme, django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(msp=msp, client=acme, total="10.00")
    assert "no active billing or primary contact" in send(web, invoice, django_capture_on_commit_callbacks
                                                          ).content.decode()
    void = InvoiceFactory(msp=msp, client=acme, total="10.00", status=Invoice.Status.VOID)
    assert "is void" in send(web, void, django_capture_on_commit_callbacks).content.decode()
    ContactFactory(msp=msp, client=acme, is_billing=True, email="ap@acme.test")
    with msp_scope(msp):
        client_archive(msp=msp, client=acme, actor=user)
    assert "archived" in send(web, invoice, django_capture_on_commit_callbacks).content.decode()
    assert mail.outbox == []


def test_read_only_cannot_send(login, make_user, msp, acme):
    from accounts.roles import Role

    invoice = InvoiceFactory(msp=msp, client=acme, total="10.00")
    response = login(make_user(role=Role.READ_ONLY)).post(f"/billing/invoices/{invoice.pk}/send/")
    assert response.status_code == 403
