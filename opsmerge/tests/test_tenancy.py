"""The tenancy rule holds for every model, now and for models added later."""

import pytest
from django.apps import apps
from django.db import connection
from django_scopes import ScopeError

from accounts.models import User
from clients.models import Client
from opsmerge.tenancy import MspOwnedModel, msp_scope, unscoped

# Tables that are not MSP data: the tenant itself, global identities, Django's own,
# and Celery beat's schedule (global, with MSP ids inside task arguments).
GLOBAL_APPS = {"admin", "auth", "contenttypes", "sessions", "django_celery_beat"}
GLOBAL_MODELS = {"accounts.Msp", "accounts.User", "accounts.User_groups", "accounts.User_user_permissions"}
PROJECT_APPS = {"opsmerge", "accounts", "clients", "contacts", "sites", "assets", "tickets", "billing", "portal",
                "m365", "imports", "api"}


def project_models():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in PROJECT_APPS and model._meta.label not in GLOBAL_MODELS:
            yield model


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_every_project_model_is_msp_owned(model):
    assert issubclass(model, MspOwnedModel), (
        f"{model._meta.label} must subclass opsmerge.tenancy.MspOwnedModel (M2M tables need an explicit "
        f"`through` model that does)"
    )
    field = model._meta.get_field("msp")
    assert not field.null and not field.editable


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_unique_constraints_start_with_msp(model):
    for constraint in model._meta.constraints:
        if not hasattr(constraint, "fields") or constraint.__class__.__name__ != "UniqueConstraint":
            continue
        first = constraint.fields[0] if constraint.fields else getattr(constraint.expressions[0], "name", None)
        assert first in ("msp", "msp_id"), f"{model._meta.label}.{constraint.name} must start with msp"
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            pytest.fail(f"{model._meta.label}.{field.name} is unique alone; make it unique per msp")


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_msp_column_is_not_null_in_the_database(model):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_nullable FROM information_schema.columns WHERE table_name = %s AND column_name = 'msp_id'",
            [model._meta.db_table],
        )
        assert cursor.fetchone() == ("NO",)


@pytest.mark.django_db
def test_query_without_scope_raises():
    with pytest.raises(ScopeError):
        list(Client.objects.all())
    with pytest.raises(ScopeError):
        Client.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_scope_filters_to_its_msp(two_msps):
    alpha, _bravo = two_msps
    with msp_scope(alpha.msp):
        names = set(Client.objects.values_list("name", flat=True))
    assert names == {"AlphaCorp Client", "AlphaOld Archived"}
    with unscoped("test"):
        assert Client.objects.count() == 4


def test_scope_refuses_none():
    with pytest.raises(ValueError), msp_scope(None):
        pass


@pytest.mark.django_db
def test_users_outside_an_msp_must_be_platform_admins():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create_user("nobody@example.com", "pw", full_name="No MSP")
