"""The dependency rule of docs/architecture.md, checked on the source: the core
(`opsmerge/`) imports no app, and an app imports only apps below it in LAYERS.
Every non-test import counts, top-level and function-local.

KNOWN_DEBT lists the imports against the rule that are still to be moved behind a
registry (issue 11). The test fails on any import against the rule that is not in
the list, and on an entry of the list that no longer exists, so the list can only
shrink."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["accounts", "clients", "contacts", "sites", "assets", "tickets", "billing", "integrations", "portal", "api"]
CORE = "opsmerge"

KNOWN_DEBT = {
    "assets/views/assets.py -> tickets.models",
    "clients/bulk.py -> billing.models",
    "clients/forms.py -> billing.models",
    "clients/lifecycle.py -> billing.models",
    "clients/lifecycle.py -> contacts.models",
    "clients/lifecycle.py -> integrations.m365.models",
    "clients/merge.py -> contacts.models",
    "clients/merge.py -> contacts.signals",
    "clients/merge.py -> sites.models",
    "clients/onboarding.py -> contacts.services",
    "clients/onboarding.py -> sites.services",
    "clients/views/clients.py -> assets.models",
    "clients/views/clients.py -> billing.models",
    "clients/views/clients.py -> contacts.models",
    "clients/views/clients.py -> contacts.views.contacts",
    "clients/views/clients.py -> integrations.m365.models",
    "clients/views/clients.py -> sites.models",
    "clients/views/clients.py -> tickets.models",
    "contacts/views/contacts.py -> assets.models",
    "contacts/views/contacts.py -> tickets.models",
    "opsmerge/demo/seed.py -> accounts.models",
    "opsmerge/demo/seed.py -> accounts.roles",
    "opsmerge/demo/seed.py -> assets.models",
    "opsmerge/demo/seed.py -> billing.models",
    "opsmerge/demo/seed.py -> clients.business_hours",
    "opsmerge/demo/seed.py -> clients.lifecycle",
    "opsmerge/demo/seed.py -> clients.models",
    "opsmerge/demo/seed.py -> clients.onboarding",
    "opsmerge/demo/seed.py -> contacts.lifecycle",
    "opsmerge/demo/seed.py -> contacts.models",
    "opsmerge/demo/seed.py -> contacts.services",
    "opsmerge/demo/seed.py -> contacts.signals",
    "opsmerge/demo/seed.py -> sites.services",
    "opsmerge/demo/seed.py -> tickets.models",
    "opsmerge/demo/seed.py -> tickets.services",
    "opsmerge/testing/browser.py -> accounts.roles",
    "opsmerge/testing/browser.py -> accounts.tests.factories",
    "opsmerge/testing/world.py -> accounts.models",
    "opsmerge/testing/world.py -> api.tests.factories",
    "opsmerge/testing/world.py -> clients.models",
    "opsmerge/testing/world.py -> integrations.imports.models",
    "opsmerge/testing/world.py -> integrations.m365.tests.factories",
    "opsmerge/testing/world.py -> tickets.models",
    "sites/views/sites.py -> assets.models",
    "sites/views/sites.py -> tickets.models",
}


def _is_test_code(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "migrations" in parts or path.name.startswith("test_") or path.name == "conftest.py"


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def violations() -> set[str]:
    rank = {app: i for i, app in enumerate(LAYERS)}
    found = set()
    for package in [CORE, *LAYERS]:
        for path in sorted((ROOT / package).rglob("*.py")):
            if _is_test_code(path):
                continue
            for module in _imported_modules(ast.parse(path.read_text(), filename=str(path))):
                target = module.split(".")[0]
                if target not in rank or target == package:
                    continue
                if package == CORE or rank[target] > rank[package]:
                    found.add(f"{path.relative_to(ROOT)} -> {module}")
    return found


def test_no_import_against_the_layer_order():
    new = sorted(violations() - KNOWN_DEBT)
    assert not new, "Imports against docs/architecture.md's layer order (move them behind a registry):\n" + "\n".join(new)


def test_known_debt_only_shrinks():
    paid = sorted(KNOWN_DEBT - violations())
    assert not paid, "These imports are gone: remove them from KNOWN_DEBT:\n" + "\n".join(paid)


def test_the_checker_sees_function_local_imports(tmp_path):
    tree = ast.parse("def f():\n    from contacts.models import Contact\n")
    assert list(_imported_modules(tree)) == ["contacts.models"]
