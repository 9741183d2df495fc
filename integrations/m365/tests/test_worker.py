"""Runs on real workers: a sync through the Celery worker, and a worker process
killed mid-sync (SIGKILL) followed by a re-run: no duplicates, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from accounts.tests.factories import MspFactory
from clients.tests.factories import ClientFactory
from contacts.models import Contact
from integrations.m365.models import SyncRun
from integrations.m365.services import sync_enqueue, tenant_connect
from integrations.m365.sync import tenant_sync
from opsmerge.tenancy import msp_scope

ROOT = Path(__file__).resolve().parents[3]


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sync_through_the_celery_worker(celery_worker, m365_emulator):
    msp = MspFactory(slug="worker-msp")
    emu = m365_emulator.state.add_tenant("Worker Co", ["worker.example"])
    emu.seed(users=40, devices=10, managed=5, guests=0, disabled=0, service_accounts=0)
    with msp_scope(msp):
        client = ClientFactory(msp=msp)
        tenant = tenant_connect(msp=msp, client=client, tenant_id=emu.tid)
        with transaction.atomic():
            run = sync_enqueue(msp=msp, tenant=tenant)
        _wait(lambda: SyncRun.objects.filter(msp=msp, pk=run.pk, status=SyncRun.Status.SUCCEEDED).exists())
        run.refresh_from_db()
        assert run.counts["contacts"]["created"] == 40 and run.progress == 100
        assert Contact.objects.filter(msp=msp, m365_tenant=tenant).count() == 40


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_sync_then_rerun_converges(m365_emulator):
    msp = MspFactory(slug="killed-msp")
    emu = m365_emulator.state.add_tenant("Killed Co", ["killed.example"])
    emu.seed(users=3500, devices=0, managed=0, guests=0, disabled=0, service_accounts=0)
    with msp_scope(msp):
        client = ClientFactory(msp=msp)
        tenant = tenant_connect(msp=msp, client=client, tenant_id=emu.tid)
    m365_emulator.state.fault("users", "stall", seconds=60, skip=2)  # page 3 hangs: kill happens there
    db = settings.DATABASES["default"]
    env = {**os.environ, **m365_emulator.env, "DJANGO_SETTINGS_MODULE": "opsmerge.test_settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL}
    proc = subprocess.Popen([sys.executable, "manage.py", "m365_sync", "--msp", msp.slug, "--tenant", emu.tid],  # noqa: S603
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with msp_scope(msp):
            _wait(lambda: m365_emulator.state.counts["users"] >= 3
                  and Contact.objects.filter(msp=msp, m365_tenant=tenant).count() == 1998, timeout=90)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with msp_scope(msp):
        killed = SyncRun.objects.get(msp=msp, tenant=tenant)
        assert killed.status == SyncRun.Status.RUNNING  # it never got to say anything
        tenant.refresh_from_db()
        assert tenant.users_delta_link == ""  # stored only after reading to the end

        run = tenant_sync(msp=msp, tenant=tenant)  # the dead holder's lock is taken over at once
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_message
        contacts = Contact.objects.filter(msp=msp, m365_tenant=tenant)
        assert contacts.count() == 3500
        assert contacts.values("m365_object_id").distinct().count() == 3500
        assert set(contacts.values_list("m365_object_id", flat=True)) == set(emu.objects["users"])
        assert run.counts["contacts"] == {"seen": 3500, "created": 1502, "unchanged": 1998, "deactivated": 0}
        killed.refresh_from_db()
        assert killed.status == SyncRun.Status.INTERRUPTED
