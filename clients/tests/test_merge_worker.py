"""A merge and a duplicates scan through the real Celery worker (Redis broker)."""

import time

import pytest
from django.db import transaction

from clients.merge import client_merge_start, merge_progress
from clients.models import Client, ClientMerge, DuplicateCandidate
from clients.tasks import duplicates_scan
from clients.tests.factories import ClientFactory
from opsmerge.tenancy import msp_scope
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_merge_runs_in_the_worker(celery_worker, msp, user):
    with msp_scope(msp):
        target, source = ClientFactory(msp=msp, name="Acme"), ClientFactory(msp=msp, name="ACME Ltd")
        TicketFactory.create_batch(5, msp=msp, client=source)
        with transaction.atomic():
            merge = client_merge_start(msp=msp, target=target, sources=[source], actor=user)
        assert wait_for(lambda: ClientMerge.objects.get(pk=merge.pk).status in ("done", "failed"))
        merge.refresh_from_db()
        assert merge.status == "done", merge.error
        assert merge_progress(merge)["done"] == merge_progress(merge)["total"] > 0
        assert Ticket.objects.filter(client=target).count() == 5
        assert Client.objects.get(pk=source.pk).merged_into_id == target.pk


def test_duplicates_scan_task(celery_worker, msp):
    with msp_scope(msp):
        ClientFactory(msp=msp, name="Initech Ltd")
        ClientFactory(msp=msp, name="INITECH Limited")
    duplicates_scan.delay(msp.pk)
    with msp_scope(msp):
        assert wait_for(lambda: DuplicateCandidate.objects.exists())
