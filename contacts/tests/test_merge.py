import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assets.tests.factories import AssetFactory
from clients.tests.factories import ClientFactory, TagFactory
from contacts.merge import contacts_merge
from contacts.models import Contact, ContactTag
from contacts.tests.factories import ContactFactory
from opsmerge.models import AuditEvent
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_references_follow_the_winner(scoped, user):
    client = ClientFactory(msp=scoped)
    winner = ContactFactory(msp=scoped, client=client, email="", phone="")
    loser = ContactFactory(msp=scoped, client=client, email="kim@example.com", phone="0123", is_primary=True,
                           is_vip=True)
    tag = TagFactory(msp=scoped)
    ContactTag.objects.create(msp=scoped, contact=winner, tag=tag)
    ContactTag.objects.create(msp=scoped, contact=loser, tag=tag)
    ticket = TicketFactory(msp=scoped, client=client, contact=loser)
    asset = AssetFactory(msp=scoped, client=client, contact=loser)
    contacts_merge(msp=scoped, winner=winner, losers=[loser], actor=user)
    winner.refresh_from_db()
    loser.refresh_from_db()
    ticket.refresh_from_db()
    asset.refresh_from_db()
    assert ticket.contact == winner and asset.contact == winner
    assert loser.deleted_at and loser.merged_into == winner
    assert winner.email == "kim@example.com" and winner.phone == "0123" and winner.is_vip and winner.is_primary
    assert ContactTag.objects.filter(contact=winner).count() == 1
    assert AuditEvent.objects.get(action="contact.merge").changes["moved"]["tickets"] == 1


def test_only_within_one_client(scoped, user):
    a, b = ContactFactory(msp=scoped), ContactFactory(msp=scoped)
    with pytest.raises(ValidationError, match="same client"):
        contacts_merge(msp=scoped, winner=a, losers=[b], actor=user)
    assert Contact.objects.alive().count() == 2 and Ticket.objects.count() == 0


def test_read_only_cannot_merge(scoped, make_user):
    client = ClientFactory(msp=scoped)
    a, b = ContactFactory(msp=scoped, client=client), ContactFactory(msp=scoped, client=client)
    with pytest.raises(PermissionDenied):
        contacts_merge(msp=scoped, winner=a, losers=[b], actor=make_user(role=Role.READ_ONLY))
