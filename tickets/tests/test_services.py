import pytest
from django.core.exceptions import ValidationError

from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from tickets.models import Ticket
from tickets.services import ticket_comment_add, ticket_create

pytestmark = pytest.mark.django_db


def test_numbers_are_per_msp_and_sequential(two_msps):
    from opsmerge.tenancy import msp_scope

    alpha, bravo = two_msps
    with msp_scope(alpha.msp):
        a1 = ticket_create(msp=alpha.msp, client=alpha.objects["client"], subject="One")
        a2 = ticket_create(msp=alpha.msp, client=alpha.objects["client"], subject="Two")
    with msp_scope(bravo.msp):
        b1 = ticket_create(msp=bravo.msp, client=bravo.objects["client"], subject="One")
    assert a2.number == a1.number + 1
    assert b1.number == 1


def test_vip_contact_raises_priority_and_floor_applies(scoped):
    client = ClientFactory(msp=scoped, priority_floor="normal")
    vip = ContactFactory(msp=scoped, client=client, is_vip=True)
    ticket = ticket_create(msp=scoped, contact=vip, subject="Laptop broken", priority="low", source="portal")
    assert ticket.priority == "high" and ticket.client == client
    plain = ticket_create(msp=scoped, client=client, subject="Question", priority="low")
    assert plain.priority == "normal"


def test_archived_client_gets_no_new_tickets(scoped):
    client = ClientFactory(msp=scoped, status="archived", archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(ValidationError):
        ticket_create(msp=scoped, client=client, subject="Hi")
    assert not Ticket.objects.exists()


def test_contact_reply_reopens_waiting_ticket(scoped):
    contact = ContactFactory(msp=scoped)
    ticket = ticket_create(msp=scoped, contact=contact, subject="Help")
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.WAITING)
    ticket.refresh_from_db()
    ticket_comment_add(msp=scoped, ticket=ticket, body="Still broken", author_contact=contact)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    with pytest.raises(ValidationError):
        ticket_comment_add(msp=scoped, ticket=ticket, body="secret", author_contact=contact, is_internal=True)


def test_ticket_update_is_atomic_a_failed_audit_leaves_no_half_write(scoped, user, monkeypatch):
    from tickets import services

    ticket = ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="Printer", priority="low")

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.ticket_update(msp=scoped, ticket=ticket, actor=user, priority="high")
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_ticket_update_from_a_stale_copy_keeps_the_ticket_consistent(scoped, user):
    from tickets.services import ticket_update

    ticket = ticket_create(msp=scoped, client=ClientFactory(msp=scoped), subject="VPN", priority="low")
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_update(msp=scoped, ticket=ticket, actor=user, status=Ticket.Status.RESOLVED)
    ticket_update(msp=scoped, ticket=stale, actor=user, priority="high")  # stale copy still says "new"
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == Ticket.Status.RESOLVED and fresh.priority == "high"
    assert fresh.resolved_at is not None
    assert stale.status == Ticket.Status.RESOLVED  # the caller's copy is brought up to date
