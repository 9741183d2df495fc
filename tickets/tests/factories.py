import factory

from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory
from tickets.models import Ticket, TicketComment


class TicketFactory(MspOwnedFactory):
    class Meta:
        model = Ticket

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    number = factory.Sequence(lambda n: n + 1)
    subject = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")


class TicketCommentFactory(MspOwnedFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory, msp=factory.SelfAttribute("..msp"))
    body = "Looking into it."
