"""seed_demo: the demo has what the product docs promise, and re-running it changes nothing."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import Msp, User
from accounts.roles import Role
from billing.models import Invoice
from clients.models import Client
from contacts.models import Contact
from opsmerge.demo import DEMO_PASSWORD
from opsmerge.models import AuditEvent
from opsmerge.tenancy import msp_scope, unscoped
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    with unscoped("test: count every table"):
        return {m._meta.label: m._default_manager.count() for m in apps.get_models()
                if m._meta.app_label not in ("sessions", "admin", "contenttypes", "auth", "django_celery_beat")}


def test_seed_demo_builds_the_demo_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = row_counts()
    out = capsys.readouterr().out
    assert "admin@brightwave.example" in out and DEMO_PASSWORD in out

    brightwave = Msp.objects.get(slug="brightwave")
    assert {u.role for u in User.objects.filter(msp=brightwave)} == set(Role.values)
    assert User.objects.get(email="tech@brightwave.example").check_password(DEMO_PASSWORD)
    with msp_scope(brightwave):
        clients = Client.objects.filter(msp=brightwave)
        assert clients.count() >= 40
        assert {"Acme Ltd", "ACME Limited", "acme-ltd.com"} <= set(clients.values_list("name", flat=True))
        archived = clients.archived().get()
        assert archived.archived_at and archived.archive_reason
        contacts = Contact.objects.filter(msp=brightwave)
        for flag in ("is_primary", "is_billing", "is_portal_user", "is_technical", "is_vip"):
            assert contacts.alive().filter(**{flag: True}).exists(), flag
        assert contacts.alive().filter(is_active=False).exists()
        assert contacts.deleted().count() == 1
        assert contacts.filter(kind=Contact.Kind.ORGANISATION, members__isnull=False).exists()
        assert contacts.filter(client__isnull=True).exists()
        for client in clients.not_archived().exclude(status=Client.Status.LEAD):
            assert contacts.alive().filter(client=client, is_primary=True).count() == 1
            assert client.sites.filter(is_hq=True).count() == 1
            assert client.domains.exists() and client.custom_fields
        assert clients.filter(tags__name="tier:gold").exists()
        assert Invoice.objects.filter(msp=brightwave, outstanding_balance__gt=Decimal(0)).exists()
        assert sorted(Ticket.objects.filter(msp=brightwave).values_list("number", flat=True))[:3] == [1, 2, 3]
        assert AuditEvent.objects.filter(msp=brightwave, action="client.archive").count() == 1
        assert AuditEvent.objects.filter(msp=brightwave, action="client.create").count() == clients.count()

    call_command("seed_demo")
    assert row_counts() == first
    assert "nothing to do" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_sign_ins_skip_mfa_enrolment(client):
    """make run's demo MSPs do not require MFA (README): a demo user signs in straight to the app."""
    call_command("seed_demo", verbosity=0)
    response = client.post("/accounts/login/", {"login": "admin@brightwave.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/clients/").status_code == 200
