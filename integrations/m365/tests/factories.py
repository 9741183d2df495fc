import uuid

import factory

from clients.tests.factories import ClientFactory
from integrations.m365.models import M365Tenant, SyncRun
from opsmerge.testing.factories import MspOwnedFactory


class M365TenantFactory(MspOwnedFactory):
    class Meta:
        model = M365Tenant

    client = factory.SubFactory(ClientFactory, msp=factory.SelfAttribute("..msp"))
    tenant_id = factory.LazyFunction(uuid.uuid4)
    display_name = factory.Sequence(lambda n: f"Tenant {n}")
    default_domain = factory.Sequence(lambda n: f"tenant{n}.example")
    consent_state = M365Tenant.ConsentState.CONNECTED


class SyncRunFactory(MspOwnedFactory):
    class Meta:
        model = SyncRun

    tenant = factory.SubFactory(M365TenantFactory, msp=factory.SelfAttribute("..msp"))
    client = factory.SelfAttribute("tenant.client")
    trigger = SyncRun.Trigger.MANUAL
