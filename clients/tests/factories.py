import factory

from clients.models import Client, ClientDomain, CustomField, Tag
from opsmerge.testing.factories import MspOwnedFactory


class ClientFactory(MspOwnedFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n} Ltd")
    status = Client.Status.ACTIVE
    time_zone = "Europe/London"
    country = "GB"


class ClientDomainFactory(MspOwnedFactory):
    class Meta:
        model = ClientDomain

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    domain = factory.Sequence(lambda n: f"client{n}.example")
    is_primary = True


class TagFactory(MspOwnedFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class CustomFieldFactory(MspOwnedFactory):
    class Meta:
        model = CustomField

    applies_to = CustomField.AppliesTo.CLIENT
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
