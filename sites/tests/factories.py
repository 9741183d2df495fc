import factory

from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory
from sites.models import Site


class SiteFactory(MspOwnedFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "London"
    country = "GB"
