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
def imap_ca():
    """A throwaway CA (trustme) whose certificate the test dovecot serves for IMAPS."""
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def dovecot_server(imap_ca, tmp_path_factory):
    if not dovecot.available():
        pytest.fail(f"dovecot is not installed at {dovecot.DOVECOT} (apt-get install dovecot-imapd)")
    cert = imap_ca.issue_cert("127.0.0.1", "localhost")
    chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
    with dovecot.running(tls=(chain, cert.private_key_pem.bytes())) as server:
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
