"""The scale seeder other benchmarks build on: small N, every invariant kept, and the
data usable by the services (ticket numbers continue after the seeded ones)."""

import subprocess
import sys

from accounts.models import Msp
from bench.harness import result, timed
from bench.scale import admin_for, seed_scale
from clients.models import Client, ClientDomain
from contacts.models import Contact
from opsmerge.tenancy import msp_scope
from sites.models import Site
from tickets.models import Ticket
from tickets.services import ticket_create


def test_seed_scale_builds_consistent_data_beside_a_noise_msp(db):
    msp = seed_scale(clients=12, contacts=60, sites=20, assets=30, tickets=25, invoices=10, noise=0.5)
    noise = Msp.objects.exclude(pk=msp.pk).get()
    with msp_scope(msp):
        clients = Client.objects.filter(msp=msp)
        assert clients.count() == 12
        assert Contact.objects.filter(msp=msp).count() == 60
        assert Site.objects.filter(msp=msp).count() == 20
        assert Ticket.objects.filter(msp=msp).count() == 25
        assert ClientDomain.objects.filter(msp=msp).count() == 12
        for client in clients:
            assert Site.objects.filter(msp=msp, client=client, is_hq=True).count() == 1
            assert Contact.objects.alive().filter(msp=msp, client=client, is_primary=True).count() == 1
        assert Contact.objects.deleted().filter(msp=msp).count() == 1
        ticket = ticket_create(msp=msp, subject="After seeding", client=clients.not_archived().first())
        assert ticket.number == 26
        assert admin_for(msp).check_password("bench-password-not-secret")
    with msp_scope(noise):
        assert Client.objects.filter(msp=noise).count() == 6
        assert Client.objects.filter(msp=noise, name__startswith="Noise ").count() == 6


def test_harness_result_rows_have_the_four_keys():
    row = timed("noop", lambda: None, target_ms=1, repeat=3)
    assert set(row) == {"name", "value", "unit", "target"} and row["unit"] == "ms"
    assert result("x", 1.23456, "s", 2) == {"name": "x", "value": 1.235, "unit": "s", "target": 2}


def test_listing_benchmarks_needs_no_database():
    out = subprocess.run([sys.executable, "-m", "bench"], capture_output=True, text=True, check=True, timeout=60)
    assert "seed" in out.stdout.split()
