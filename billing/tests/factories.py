from decimal import Decimal

import factory

from billing.models import Contract, ContractTemplate, Invoice
from clients.tests.factories import ClientFactory
from opsmerge.testing.factories import MspOwnedFactory


class ContractTemplateFactory(MspOwnedFactory):
    class Meta:
        model = ContractTemplate

    name = factory.Sequence(lambda n: f"Managed plan {n}")


class ContractFactory(MspOwnedFactory):
    class Meta:
        model = Contract

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    name = factory.Sequence(lambda n: f"Support contract {n}")


class InvoiceFactory(MspOwnedFactory):
    class Meta:
        model = Invoice

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    total = Decimal("100.00")
    outstanding_balance = Decimal("0.00")
