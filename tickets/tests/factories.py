import factory

from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory
from tickets.models import Ticket, TicketComment, TicketSlaDue


class TicketFactory(MspOwnedFactory):
    class Meta:
        model = Ticket

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    # Far above the numbers tickets.services hands out (TicketSequence starts at 1), so
    # factory tickets never collide with a ticket_create in the same MSP.
    number = factory.Sequence(lambda n: 900_000 + n)
    subject = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """`first_response_due=` / `resolution_due=` go to the ticket's TicketSlaDue row."""
        due = {name: kwargs.pop(name) for name in ("first_response_due", "resolution_due") if name in kwargs}
        ticket = super()._create(model_class, *args, **kwargs)
        if due:
            TicketSlaDue.objects.create(msp=ticket.msp, ticket=ticket, **due)
        ticket.first_response_due = due.get("first_response_due")
        ticket.resolution_due = due.get("resolution_due")
        return ticket


class TicketCommentFactory(MspOwnedFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory, msp=factory.SelfAttribute("..msp"))
    body = "Looking into it."
