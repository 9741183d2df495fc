import hashlib
import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Invite, Msp, TechGroup, User
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


class InviteFactory(MspOwnedFactory):
    """A pending invite whose link nobody knows (for flows that find it by email, e.g.
    Microsoft sign-in); tests that open the link use accounts.invites.invite_create."""

    class Meta:
        model = Invite

    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.TECHNICIAN
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
