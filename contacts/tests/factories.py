import factory

from clients.tests.factories import ClientFactory
from contacts.models import Contact
from opsmerge.testing.factories import MspOwnedFactory


class ContactFactory(MspOwnedFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@client.example")
