import factory

from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory
from tickets.models import Ticket, TicketComment


class TicketFactory(MspOwnedFactory):
    class Meta:
        model = Ticket

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    # Far above the numbers tickets.services hands out (TicketSequence starts at 1), so
    # factory tickets never collide with a ticket_create in the same MSP.
    number = factory.Sequence(lambda n: 900_000 + n)
    subject = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")


class TicketCommentFactory(MspOwnedFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory, msp=factory.SelfAttribute("..msp"))
    body = "Looking into it."
