"""Ticket test helpers: Celery runs eagerly, so emails land in mail.outbox once the
on-commit callbacks run (django_capture_on_commit_callbacks(execute=True))."""

import pytest


@pytest.fixture(autouse=True)
def celery_eager():
    from opsmerge.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
