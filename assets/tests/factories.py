import factory

from assets.models import Asset
from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory


class AssetFactory(MspOwnedFactory):
    class Meta:
        model = Asset

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    name = factory.Sequence(lambda n: f"LT-{n:04d}")
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
