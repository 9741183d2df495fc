"""Ticket test helpers: Celery runs eagerly, so emails land in mail.outbox once the
on-commit callbacks run (django_capture_on_commit_callbacks(execute=True))."""

import pytest


@pytest.fixture(autouse=True)
def celery_eager(celery_eager):
    """Every test here runs Celery eagerly (the root conftest's fixture)."""
    return celery_eager
