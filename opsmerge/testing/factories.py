"""Base factory for MSP-owned models: test-data setup writes outside any scope."""

import factory

from opsmerge.tenancy import unscoped


class MspOwnedFactory(factory.django.DjangoModelFactory):
    """Creates rows without an active scope (fixtures build several MSPs at once).
    The code under test still runs scoped."""

    class Meta:
        abstract = True

    msp = factory.SubFactory("accounts.tests.factories.MspFactory")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with unscoped("test factory"):
            return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        with unscoped("test factory"):
            return super()._after_postgeneration(instance, create, results)
