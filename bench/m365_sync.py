"""Microsoft 365 sync via the HTTPS emulator: full sync of 50k users + 20k devices + 20k Intune, then a 1% delta.

The delta changes 1% of users, Entra devices and Intune devices (check-ins and
retirements); its Intune step asks only for devices that checked in since the full
sync's listing began (managedDevices has no delta API; see docs/m365.md).

The emulator runs as its own process (`python -m integrations.m365.emulator`), so
JSON encoding on the "Microsoft" side does not share a CPU core's GIL with the sync.
The sync is the real code path: msal token, requests session, $select/$top=999,
nextLink paging, delta links, set-based writes per page, in this process.
Figures: full_sync_seconds (≤ 60), delta_sync_seconds (≤ 3), graph_requests (full
sync, token and discovery included), rows_per_s (Graph objects applied per second),
full_sync_writes_no_change (rows a second full sync with nothing changed in Graph
rewrites: must be 0), health_refresh_seconds (tenant health of 200 connected tenants
read and stored, emulator default latency; ≤ 30).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import requests

from bench.harness import result

USERS, DEVICES, MANAGED = 50_000, 20_000, 20_000


HEALTH_TENANTS, HEALTH_USERS = 200, 25


def _start_emulator(state_dir: str, *, tenants: int = 1, users: int = USERS, devices: int = DEVICES,
                    managed: int = MANAGED):
    cmd = [sys.executable, "-m", "integrations.m365.emulator", "--port", "0", "--state-dir", state_dir,
           "--tenants", str(tenants), "--users", str(users), "--devices", str(devices), "--managed", str(managed),
           "--exit-on-stdin-eof"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # our own module with fixed arguments
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)  # noqa: S603
    info = json.loads(proc.stdout.readline())
    return proc, info


def run():
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import Msp
    from assets.models import Asset
    from clients.models import Client
    from contacts.models import Contact
    from integrations.m365.graph import reset_clients
    from integrations.m365.services import tenant_connect
    from integrations.m365.sync import tenant_sync
    from opsmerge.tenancy import msp_scope

    state_dir = tempfile.mkdtemp(prefix="bench-m365-")
    proc, info = _start_emulator(state_dir)
    try:
        env, tid = info["env"], info["tenants"][0]["tid"]
        for key, value in env.items():
            setattr(settings, key, value)
        reset_clients()
        control = requests.Session()
        control.verify, control.trust_env = env["M365_CA_BUNDLE"], False
        base = env["M365_GRAPH_URL"]

        msp = Msp.objects.create(name="Bench M365 MSP", slug=f"bench-m365-{int(time.time())}")
        with msp_scope(msp):
            client = Client.objects.create(msp=msp, name="Bench Tenant Client")
            tenant = tenant_connect(msp=msp, client=client, tenant_id=tid, patience=0)
            reset_clients()  # the full sync pays for discovery and its token too
            control.post(f"{base}/_emulator/reset-counts")
            started = time.perf_counter()
            full = tenant_sync(msp=msp, tenant=tenant, full=True)
            full_seconds = time.perf_counter() - started
            if full.status != "succeeded":
                raise SystemExit(f"full sync failed: {full.error_code} {full.error_message}")
            requests_full = control.get(f"{base}/_emulator/counts").json().get("total", 0)
            objects = (full.counts["contacts"].get("seen", 0) + full.counts["assets"].get("seen", 0)
                       + full.counts["assets"].get("intune_seen", 0))
            contacts = Contact.objects.filter(msp=msp).count()

            # Nothing changed in Graph: a second full sync must write no row.
            tenant.refresh_from_db()
            before = timezone.now()
            again = tenant_sync(msp=msp, tenant=tenant, full=True)
            if again.status != "succeeded":
                raise SystemExit(f"second full sync failed: {again.error_code} {again.error_message}")
            rewritten = (Contact.objects.filter(msp=msp, updated_at__gte=before).count()
                         + Asset.objects.filter(msp=msp, updated_at__gte=before).count())

            changed = control.post(f"{base}/_emulator/mutate", json={"tenant": tid, "fraction": 0.01}).json()
            control.post(f"{base}/_emulator/reset-counts")
            tenant.refresh_from_db()
            started = time.perf_counter()
            delta = tenant_sync(msp=msp, tenant=tenant)
            delta_seconds = time.perf_counter() - started
            if delta.status != "succeeded":
                raise SystemExit(f"delta sync failed: {delta.error_code} {delta.error_message}")
            requests_delta = control.get(f"{base}/_emulator/counts").json().get("total", 0)

        yield result("full_sync_seconds", full_seconds, "s", 60) | {
            "users": USERS, "devices": DEVICES, "managed_devices": MANAGED, "contacts_created": contacts,
            "pages": full.pages}
        yield result("delta_sync_seconds", delta_seconds, "s", 3) | {
            "changes": changed, "delta_graph_requests": requests_delta, "counts": delta.counts,
            "notes": delta.notes}
        yield result("graph_requests", requests_full, "requests", None)
        yield result("rows_per_s", objects / full_seconds, "rows/s", None) | {"objects": objects}
        yield result("full_sync_writes_no_change", rewritten, "rows", 0) | {"counts": again.counts}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    yield from _health_refresh()


def _health_refresh():
    """Tenant health of HEALTH_TENANTS connected tenants (the health schedule's work)."""
    from django.conf import settings

    from accounts.models import Msp
    from clients.models import Client
    from integrations.m365.graph import reset_clients
    from integrations.m365.health import tenants_health_refresh
    from integrations.m365.services import tenant_connect
    from opsmerge.tenancy import msp_scope

    state_dir = tempfile.mkdtemp(prefix="bench-m365-health-")
    proc, info = _start_emulator(state_dir, tenants=HEALTH_TENANTS, users=HEALTH_USERS, devices=0, managed=0)
    try:
        for key, value in info["env"].items():
            setattr(settings, key, value)
        reset_clients()
        msp = Msp.objects.create(name="Bench M365 health MSP", slug=f"bench-m365-health-{int(time.time())}")
        with msp_scope(msp):
            client = Client.objects.create(msp=msp, name="Bench Health Client")
            tenants = [tenant_connect(msp=msp, client=client, tenant_id=t["tid"], patience=0)
                       for t in info["tenants"]]
            reset_clients()  # pay for each tenant's discovery and token, as a fresh worker would
            started = time.perf_counter()
            outcome = tenants_health_refresh(msp=msp, tenants=tenants)
            seconds = time.perf_counter() - started
        yield result("health_refresh_seconds", seconds, "s", 30) | {"tenants": len(tenants), **outcome}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
