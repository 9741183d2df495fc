"""docs/permissions.md is generated from the permission matrix and must match it."""

from django.core.management import call_command

from accounts.permissions import MATRIX, Op
from accounts.permissions_doc import BEGIN, DOC_PATH, OP_DOCS, document_with_matrix, render_matrix
from accounts.roles import Role


def test_every_operation_is_documented_and_in_the_matrix():
    assert set(OP_DOCS) == set(Op) == set(MATRIX)


def test_committed_document_matches_the_matrix():
    current = DOC_PATH.read_text(encoding="utf-8")
    assert current.count(BEGIN) == 1
    assert document_with_matrix(current) == current, "run: python manage.py permissions_doc"
    call_command("permissions_doc", "--check")


def test_the_seed_rules_read_as_the_seeds_say():
    table = render_matrix()
    row = {line.split("|")[1].strip(" `"): [c.strip() for c in line.split("|")[3:9]]
           for line in table.splitlines() if line.startswith("| `")}
    roles = [r.value for r in Role]
    allowed = {op: {roles[i] for i, mark in enumerate(marks) if mark == "✓"} for op, marks in row.items()}
    assert allowed["client_archive"] >= {"admin", "msp_admin", "compliance_admin"}
    assert "technician" not in allowed["client_archive"] and "read_only" not in allowed["client_archive"]
    assert allowed["client_delete"] == {"super_admin"}
    assert allowed["contact_restore"] == {"super_admin"}


def test_generation_replaces_only_its_section():
    doc = f"intro\n{BEGIN}\nstale\n<!-- END MATRIX -->\noutro\n"
    out = document_with_matrix(doc)
    assert out.startswith("intro\n") and out.endswith("\noutro\n") and "stale" not in out
