"""Portal test helpers: Celery runs eagerly (emails land in mail.outbox at once),
a portal user at one client, and a test client signed in as that contact."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from clients.tests.factories import ClientFactory
from contacts.tests.factories import ContactFactory
from opsmerge.celery import app as celery_app
from opsmerge.tenancy import msp_scope
from portal import conf
from portal.services import session_start

LINK = re.compile(r"https?://[^\s\"<>]+/portal/sign-in/link/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def celery_eager():
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@pytest.fixture
def acme(msp):
    return ClientFactory(msp=msp, name="Acme Ltd", country="GB")


@pytest.fixture
def portal_contact(msp, acme):
    return ContactFactory(msp=msp, client=acme, first_name="Pat", last_name="Portal", email="pat@acme.example",
                          is_portal_user=True)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run `fn` and then its on-commit callbacks (tests run inside a transaction
    that never commits; production views enqueue Celery tasks on commit)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def links_in(message) -> list[str]:
    """Link tokens in a message's plain-text body (the HTML part carries the same)."""
    return LINK.findall(message.body)


def last_links(to: str) -> list[str]:
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no email to {to}"
    return links_in(messages[-1])


def sign_in(client, contact) -> str:
    """Give `client` a portal session cookie for `contact` (bypassing the email)."""
    with msp_scope(contact.msp):
        secret = session_start(msp=contact.msp, contact=contact)
    client.cookies[conf.cookie_name()] = secret
    return secret


@pytest.fixture
def portal(client, portal_contact):
    sign_in(client, portal_contact)
    return client
