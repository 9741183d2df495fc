"""CLI: run the PSA emulators (every registered product, one HTTPS server) for the demo
(`make run`) or the benchmark.

    python -m integrations.psa.emulator --port 8444 --state-dir var/psa-emulator

Writes the CA bundle to STATE_DIR/psa-emulator-ca.pem and prints one JSON line:
{"env": {"PSA_CA_BUNDLE": …}, "products": {kind: {"base_url", "credentials"}}}.
Without --companies, each product holds the demo companies (some match the demo
clients by domain or name); with it, N generated companies with M contacts each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from integrations.emulator_cli import serve_until_stopped

from .common import PsaEmulator, seed_demo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.psa.emulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8444, help="0 picks a free port")
    parser.add_argument("--state-dir", default="var/psa-emulator")
    parser.add_argument("--kinds", default="", help="comma-separated products (default: every registered one)")
    parser.add_argument("--companies", type=int, default=0)
    parser.add_argument("--contacts-per-company", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args(argv)

    emulator = PsaEmulator(kinds=[k for k in args.kinds.split(",") if k] or None, host=args.host, port=args.port,
                           ca_dir=args.state_dir)
    for product in emulator.products.values():
        product.latency = args.latency
        if args.companies:
            product.seed(companies=args.companies, contacts_per_company=args.contacts_per_company, seed=args.seed)
        else:
            seed_demo(product)
    info = {"env": {"PSA_CA_BUNDLE": str(emulator.ca_path)},
            "products": {kind: {"label": p.label, "base_url": emulator.base_url(kind), "credentials": p.credentials()}
                         for kind, p in emulator.products.items()},
            "control": f"{emulator.url}/_emulator/"}
    Path(args.state_dir, "products.json").write_text(json.dumps(info, indent=2))
    print(json.dumps(info), flush=True)
    return serve_until_stopped(emulator, exit_on_stdin_eof=args.exit_on_stdin_eof)


if __name__ == "__main__":
    sys.exit(main())
