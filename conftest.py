"""Shared fixtures (Saleor style: factories per app in <app>/tests/factories.py).

- msp, user, web: one MSP, an Admin user, and a signed-in Django test client.
- two_msps: MSP A and MSP B, each with a full set of objects, for isolation tests.
- scoped: opens MSP A's tenant scope for service/selector tests.
- celery_worker: a real Celery worker thread on Redis (needs transactional_db).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD, MspFactory, UserFactory
from opsmerge.tenancy import msp_scope

pytest_plugins = ["testing.browser"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


@pytest.fixture
def celery_eager():
    """Celery runs tasks in-process: emails land in mail.outbox once on-commit callbacks
    run (django_capture_on_commit_callbacks(execute=True))."""
    from opsmerge.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def msp(db):
    return MspFactory(name="Northwind IT", slug="northwind")


@pytest.fixture
def user(msp):
    return UserFactory(msp=msp, role=Role.ADMIN, email="admin@northwind.example", full_name="Ada Admin")


@pytest.fixture
def make_user(msp):
    def make(role=Role.TECHNICIAN, **kwargs):
        return UserFactory(msp=kwargs.pop("msp", msp), role=role, **kwargs)

    return make


@pytest.fixture
def web(client, user):
    """Django test client signed in as `user` (an Admin of `msp`)."""
    client.force_login(user)
    return client


@pytest.fixture
def login(client):
    def as_user(u):
        client.force_login(u)
        return client

    return as_user


@pytest.fixture
def scoped(msp):
    with msp_scope(msp):
        yield msp


@dataclass
class MspWorld:
    """One MSP with one object of every kind, named so leaks are easy to spot."""

    msp: object
    user: object
    objects: dict[str, object] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)


def build_world(label: str) -> MspWorld:
    from assets.tests.factories import AssetFactory
    from billing.tests.factories import ContractFactory, ContractTemplateFactory, InvoiceFactory
    from clients.tests.factories import ClientDomainFactory, ClientFactory, CustomFieldFactory, TagFactory
    from contacts.tests.factories import ContactFactory
    from sites.tests.factories import SiteFactory
    from testing.world import extra_world_objects
    from tickets.tests.factories import TicketCommentFactory, TicketFactory

    msp = MspFactory(name=f"{label} Managed Services", slug=f"{label.lower()}-msp")
    user = UserFactory(msp=msp, role=Role.SUPER_ADMIN, email=f"boss@{label.lower()}.example",
                       full_name=f"{label} Boss")
    client = ClientFactory(msp=msp, name=f"{label}Corp Client")
    archived = ClientFactory(msp=msp, name=f"{label}Old Archived", status="archived",
                             archived_at="2026-01-01T00:00:00Z")
    objects = {
        "client": client,
        "archived_client": archived,
        "domain": ClientDomainFactory(msp=msp, client=client, domain=f"{label.lower()}corp.example"),
        "tag": TagFactory(msp=msp, name=f"{label}-tier"),
        "custom_field": CustomFieldFactory(msp=msp, key=f"{label.lower()}_field", label=f"{label} Field"),
        "contact": ContactFactory(msp=msp, client=client, first_name=f"{label}Person", last_name="Contact",
                                  email=f"person@{label.lower()}corp.example", is_portal_user=True),
        "deleted_contact": ContactFactory(msp=msp, client=client, first_name=f"{label}Gone", last_name="Deleted",
                                          email=f"gone@{label.lower()}corp.example",
                                          deleted_at="2026-01-01T00:00:00Z"),
        "site": SiteFactory(msp=msp, client=client, name=f"{label}Site HQ", is_hq=True),
        "asset": AssetFactory(msp=msp, client=client, name=f"{label}-LAPTOP-01", serial_number=f"{label}SERIAL1"),
        "ticket": TicketFactory(msp=msp, client=client, subject=f"{label}Ticket printer jam"),
        "contract_template": ContractTemplateFactory(msp=msp, name=f"{label} Gold Plan"),
        "contract": ContractFactory(msp=msp, client=client, name=f"{label} Support Contract"),
        "invoice": InvoiceFactory(msp=msp, client=client, number=f"{label}-INV-1"),
    }
    objects["comment"] = TicketCommentFactory(msp=msp, ticket=objects["ticket"], body=f"{label}Comment body")
    objects.update(extra_world_objects(label=label, msp=msp, user=user, objects=objects))
    names = [client.name, archived.name, objects["contact"].first_name, objects["site"].name,
             objects["asset"].name, objects["ticket"].subject, objects["domain"].domain]
    return MspWorld(msp=msp, user=user, objects=objects, names=names)


@pytest.fixture
def two_msps(db):
    """(A, B): two MSPs with identical shapes and distinguishable names."""
    return build_world("Alpha"), build_world("Bravo")


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (thread, solo pool) consuming from Redis."""
    from celery.contrib.testing.worker import start_worker

    from opsmerge.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


__all__ = ["DEFAULT_PASSWORD"]
