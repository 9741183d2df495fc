"""The dependency rule of docs/architecture.md, checked on the source: the core
(`opsmerge/`) imports no app, and an app imports only apps below it in LAYERS.
Every non-test import counts, top-level and function-local."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["accounts", "clients", "contacts", "sites", "assets", "tickets", "billing", "integrations", "portal", "api",
          "demo"]
CORE = "opsmerge"

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
    found = sorted(violations())
    assert not found, ("Imports against docs/architecture.md's layer order (register into a registry of the core "
                       "or of a lower app instead):\n" + "\n".join(found))


def test_the_checker_sees_function_local_imports(tmp_path):
    tree = ast.parse("def f():\n    from contacts.models import Contact\n")
    assert list(_imported_modules(tree)) == ["contacts.models"]
