"""CLI: run the emulator for the demo (`make run`) or the benchmark.

    python -m integrations.m365.emulator --port 8443 --state-dir var/m365-emulator

Seeds demo tenants whose verified domains match the demo clients' domains, writes
the CA bundle to STATE_DIR/emulator-ca.pem and STATE_DIR/env (KEY=VALUE lines), and
prints the same variables. Control API under /_emulator/ (counts, mutate, fault).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from integrations.emulator_cli import serve_until_stopped

from .server import Emulator
from .state import EmulatorState

DEMO_TENANTS = (
    # (display name, verified domains, fixed tenant id) — domains match bench/demo seed clients
    ("Contoso Ltd", ["contoso.example", "contoso.onmicrosoft.com"], "6f1b3c2a-1d4e-4c8a-9b7f-0a1b2c3d4e01"),
    ("Fabrikam Inc", ["fabrikam.example", "fabrikam.onmicrosoft.com"], "6f1b3c2a-1d4e-4c8a-9b7f-0a1b2c3d4e02"),
    ("Northwind Traders", ["northwindtraders.example", "northwindtraders.onmicrosoft.com"],
     "6f1b3c2a-1d4e-4c8a-9b7f-0a1b2c3d4e03"),
)

# The emulated CIPP-API app (--cipp): enter these on Settings → CIPP.
CIPP_TID = "6f1b3c2a-1d4e-4c8a-9b7f-0a1b2c3d4eff"
CIPP_CLIENT_ID = "c1bb0000-0000-4000-8000-00000000c1bb"


def build_state(args) -> EmulatorState:
    state = EmulatorState()
    state.latency = args.latency
    state.error_rate = args.error_rate
    if args.tenants:
        for n in range(args.tenants):
            tenant = state.add_tenant(f"Bench Tenant {n}", [f"bench{n}.example", f"bench{n}.onmicrosoft.com"])
            tenant.seed(users=args.users, devices=args.devices, managed=args.managed, seed=n)
    else:
        for name, domains, tid in DEMO_TENANTS:
            tenant = state.add_tenant(name, domains, tid=tid)
            tenant.seed(users=args.users, devices=args.devices, managed=args.managed)
        add_demo_msp_tenants(state)
    return state


def add_demo_msp_tenants(state: EmulatorState) -> None:
    """The demo MSPs' own tenants, with their staff as users: "Sign in with Microsoft"
    on `make run` signs in as a demo staff member (opsmerge.demo, plain constants)."""
    import uuid

    from opsmerge.demo import DEMO_MSPS, DEMO_STAFF

    for n, (slug, msp_name, domain) in enumerate(DEMO_MSPS):
        tenant = state.add_tenant(msp_name, [domain, f"{slug}.onmicrosoft.com"],
                                  tid=f"6f1b3c2a-1d4e-4c8a-9b7f-0a1b2c3d4f{n:02d}")
        tenant.msp_own = True
        for _role, mailbox, full_name in DEMO_STAFF:
            first, _, last = full_name.partition(" ")
            tenant.add("users", {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{mailbox}.{domain}")),
                                 "displayName": full_name, "givenName": first, "surname": last,
                                 "mail": f"{mailbox}@{domain}", "userPrincipalName": f"{mailbox}@{domain}",
                                 "accountEnabled": True, "userType": "Member"})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.m365.emulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    parser.add_argument("--state-dir", default="var/m365-emulator", help="where the CA bundle and env file go")
    parser.add_argument("--tenants", type=int, default=0, help="N generated tenants instead of the demo ones")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--devices", type=int, default=25)
    parser.add_argument("--managed", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of Graph calls that fail transiently")
    parser.add_argument("--client-id", default="11111111-2222-3333-4444-555555555555")
    parser.add_argument("--client-secret", default="emulator-secret")
    parser.add_argument("--cipp", action="store_true",
                        help="also serve CIPP-API (/api/ListTenants, ListUsers, ListDevices) over the seeded tenants")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (a parent process that dies takes the emulator with it)")
    args = parser.parse_args(argv)

    emulator = Emulator(state=build_state(args), host=args.host, port=args.port, ca_dir=args.state_dir,
                        client_id=args.client_id, client_secret=args.client_secret)
    if args.cipp:  # fixed ids, so the demo's CIPP settings survive restarts
        emulator.state.add_cipp(tid=CIPP_TID, client_id=CIPP_CLIENT_ID, secret="cipp-secret")  # noqa: S106
    env = emulator.env
    Path(args.state_dir, "env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    tenants = [{"tid": t.tid, "name": t.display_name, "domains": t.domains} for t in emulator.state.tenants.values()]
    cipp = {"base_url": emulator.base_url, "tenant_id": CIPP_TID, "client_id": CIPP_CLIENT_ID,
            "client_secret": "cipp-secret"} if args.cipp else None
    print(json.dumps({"env": env, "tenants": tenants, "cipp": cipp}), flush=True)
    for k, v in env.items():
        print(f"export {k}={v}", flush=True)
    return serve_until_stopped(emulator, exit_on_stdin_eof=args.exit_on_stdin_eof)


if __name__ == "__main__":
    sys.exit(main())
