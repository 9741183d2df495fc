"""`make run` starts the PSA emulator and hands PSA_CA_BUNDLE to web and worker."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import requests


def test_make_run_starts_the_psa_emulator(tmp_path, monkeypatch):
    from opsmerge import devrun

    monkeypatch.setattr(devrun, "VAR", tmp_path)
    run = devrun.DevRun(argparse.Namespace(port=8000))
    run.env = {k: v for k, v in os.environ.items() if not k.startswith("PSA_")}
    try:
        run.start_psa_emulator()
        bundle = run.env["PSA_CA_BUNDLE"]
        assert Path(bundle).is_file()
        products = (tmp_path / "psa-emulator" / "products.json").read_text()
        assert "connectwise" in products
        session = requests.Session()
        session.trust_env, session.verify = False, bundle
        control = __import__("json").loads(products)["control"]
        assert session.get(f"{control}connectwise/inspect", timeout=10).json()["records"]["companies"] >= 5
    finally:
        for child in run.children:
            child.stop()
