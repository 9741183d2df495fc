"""Fixtures of the accounts tests: the Microsoft 365 emulator (identity platform) for
Sign in with Microsoft, and Celery run eagerly (account emails are a task)."""

import pytest

from integrations.m365.tests.conftest import m365_emulator, m365_emulator_server  # noqa: F401


@pytest.fixture(autouse=True)
def celery_eager():
    """Account emails go through a Celery task (accounts.tasks): run it in the test."""
    from opsmerge.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
