"""Mail tests run against a real IMAP server: Debian's dovecot, started once per test
session in a temp dir on a free port (testing/dovecot.py). Celery runs eagerly, so
acknowledgement emails land in mail.outbox once on-commit callbacks run."""

from __future__ import annotations

import itertools

import pytest

from testing import dovecot

_users = itertools.count(1)
ACCOUNTS = 200


@pytest.fixture(scope="session")
def dovecot_server():
    if not dovecot.available():
        pytest.fail(f"dovecot is not installed at {dovecot.DOVECOT} (apt-get install dovecot-imapd)")
    with dovecot.running() as server:
        # all accounts up front: dovecot re-reads its passwd-file only when the mtime moves
        server.add_users({f"support{n}@msp.test": "s3cret-pass" for n in range(1, ACCOUNTS + 1)})
        yield server


@pytest.fixture
def imap_user(dovecot_server):
    """A fresh IMAP account (an empty INBOX) for one test."""
    n = next(_users)
    assert n <= ACCOUNTS, "raise ACCOUNTS"
    return f"support{n}@msp.test"


@pytest.fixture(autouse=True)
def celery_eager(celery_eager):
    """Every test here runs Celery eagerly (the root conftest's fixture)."""
    return celery_eager
