import factory

from accounts.models import Msp, TechGroup, User
from accounts.roles import Role
from opsmerge.testing.factories import MspOwnedFactory

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class MspFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Msp
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"MSP {n}")
    slug = factory.Sequence(lambda n: f"msp-{n}")
    require_mfa = False  # the model's default is on for new MSPs; tests that need it say so


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"tech{n}@msp.example")
    full_name = factory.Faker("name")
    msp = factory.SubFactory(MspFactory)
    role = Role.ADMIN
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TechGroupFactory(MspOwnedFactory):
    class Meta:
        model = TechGroup

    name = factory.Sequence(lambda n: f"Team {n}")
