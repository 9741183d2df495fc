"""PSA sync via the HTTPS emulator, per connector: first sync of 5,000 companies / 50,000 contacts, then 1% changes.

For each product the emulator serves (`python -m integrations.psa.emulator` in its own
process, so the "PSA" side does not share this process's GIL), a connected MSP whose
match review is finished (import new companies on) runs:
  first sync   every company and contact listed at the product's DEFAULT page size
               (ConnectWise 25; Autotask 500; HaloPSA its default), imported set-based;
  incremental  after 1% of companies and contacts changed in the PSA: the last-updated
               filter lists only those, applied by the three-way merge.
Each figure has its request count beside the floor, ceil(N / page_size) per listing.
A second pass of the first sync asks for the largest page the product allows
(ConnectWise pageSize=1000), as real integrations do, and is reported separately.
Targets: first sync ≤ 120 s, incremental ≤ 5 s (at the default page size).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time

import requests

from bench.harness import result

COMPANIES = int(os.environ.get("PSA_BENCH_COMPANIES", 5_000))  # smaller for a quick look
CONTACTS_PER_COMPANY = 10


def _start_emulator(state_dir: str, kinds: str = ""):
    cmd = [sys.executable, "-m", "integrations.psa.emulator", "--port", "0", "--state-dir", state_dir,
           "--companies", str(COMPANIES), "--contacts-per-company", str(CONTACTS_PER_COMPANY),
           "--exit-on-stdin-eof"]
    if kinds:
        cmd += ["--kinds", kinds]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)  # noqa: S603
    return proc, json.loads(proc.stdout.readline())


def _one(kind: str, product: dict, control, *, large_pages: bool):
    from accounts.models import Msp
    from clients.models import Client
    from contacts.models import Contact
    from integrations.psa.connectors import connector_class
    from integrations.psa.models import PsaConnection
    from integrations.psa.services import connection_connect
    from integrations.psa.sync import connection_sync
    from opsmerge.tenancy import msp_scope

    cls = connector_class(kind)
    page = (cls.max_page_size or cls.page_size) if large_pages else cls.page_size
    suffix = f"_page{page}" if large_pages else ""
    msp = Msp.objects.create(name=f"Bench PSA {kind}{suffix}", slug=f"bench-psa-{kind}{suffix}-{int(time.time())}")
    out = []
    with msp_scope(msp):
        conn = connection_connect(msp=msp, kind=kind, base_url=product["base_url"],
                                  credentials=product["credentials"])
        PsaConnection.objects.filter(pk=conn.pk).update(stage=PsaConnection.Stage.SYNCING, import_new=True,
                                                        page_size=page if large_pages else None)
        conn.refresh_from_db()
        started = time.perf_counter()
        run = connection_sync(msp=msp, connection=conn)
        first = time.perf_counter() - started
        assert run.status == "succeeded", (run.error_code, run.error_message)
        companies = Client.objects.filter(msp=msp).count()
        contacts = Contact.objects.filter(msp=msp).count()
        floor = math.ceil(COMPANIES / page) + math.ceil(COMPANIES * CONTACTS_PER_COMPANY / page)
        out.append(result(f"{kind}_first_sync{suffix}_seconds", first, "s", 120 if not large_pages else None)
                   | {"companies": companies, "contacts": contacts, "requests": run.requests,
                      "request_floor": floor, "page_size": page,
                      "rows_per_s": round((companies + contacts) / first)})
        if large_pages:
            return out
        changed = control.post(f"{product['control']}{kind}/mutate", json={"fraction": 0.01, "seed": 5}).json()
        conn.refresh_from_db()
        started = time.perf_counter()
        run = connection_sync(msp=msp, connection=conn)
        incremental = time.perf_counter() - started
        assert run.status == "succeeded", (run.error_code, run.error_message)
        floor = math.ceil(changed["companies"] / page) + math.ceil(changed["contacts"] / page)
        out.append(result(f"{kind}_incremental_1pct_seconds", incremental, "s", 5)
                   | {"changed_companies": changed["companies"], "changed_contacts": changed["contacts"],
                      "updated_here": run.counts, "requests": run.requests, "request_floor": floor,
                      "page_size": page})
    return out


def run():
    from django.conf import settings

    from integrations.psa.http import reset_sessions

    state_dir = tempfile.mkdtemp(prefix="bench-psa-")
    proc, info = _start_emulator(state_dir, os.environ.get("PSA_BENCH_KINDS", ""))  # e.g. "connectwise"
    try:
        settings.PSA_CA_BUNDLE = info["env"]["PSA_CA_BUNDLE"]
        reset_sessions()
        control = requests.Session()
        control.verify, control.trust_env = settings.PSA_CA_BUNDLE, False
        rows = []
        for kind, product in info["products"].items():
            product = {**product, "control": info["control"]}
            rows += _one(kind, product, control, large_pages=False)
            rows += _one(kind, product, control, large_pages=True)
        return rows
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
