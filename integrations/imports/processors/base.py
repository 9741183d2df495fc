"""What every import kind shares: the row being imported and the processor shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Lookup
from django.db.models.functions import Lower

from ..cells import CellError
from ..changes import ChangeRecorder

CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED = "created", "updated", "unchanged", "skipped", "failed"


@dataclass
class Row:
    number: int  # as the user sees it in the file
    cells: list[str]
    values: dict[str, str]  # field key -> trimmed cell (mapped columns only)
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field key or "", message)
    outcome: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # field key -> column a format rule filled it from

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, message))

    def skip(self, key: str, message: str) -> None:
        """Not applied on purpose (a likely duplicate): reported, counted as skipped."""
        self.errors.append((key, message))
        self.outcome = SKIPPED

    @property
    def ok(self) -> bool:
        return not self.errors

    def take(self, key: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        """Parse the cell of `key` into data[key]; blank cells are left out (blank
        means "leave as it is" on updates) unless required."""
        raw = self.values.get(key, "")
        if raw == "":
            if required:
                self.error(key, "Required: this cell is empty.")
            return None
        try:
            self.data[key] = parse(raw)
        except CellError as exc:
            self.error(key, exc.message)
            return None
        return self.data[key]


def name_key(value: str) -> str:
    """Exact-name identity: case and runs of spaces do not matter."""
    return " ".join(value.split()).casefold()


def client_name_keys(names: list[str]) -> dict[str, str]:
    """{name: duplicate-detection key} computed by the database function of the
    clients app (migration 0003), so 'ACME Limited' and 'Acme Ltd' share a key here
    exactly as they do in duplicate detection."""
    from django.db import connection

    if not names:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, opsmerge_client_name_key(n) FROM unnest(%s::text[]) AS n", [names])
        return dict(cursor.fetchall())


class Processor:
    """One import kind. `clean` validates a row without touching the database
    (within-file rules included); `apply` matches a batch of clean rows against the
    database and writes them set-based, setting each row's outcome."""

    kind = ""

    def __init__(self, *, msp, job, actor=None):
        self.msp = msp
        self.job = job
        self.actor = actor
        self.log = ChangeRecorder(msp_id=msp.pk, job_id=job.pk, enabled=not job.dry_run)

    def clean(self, row: Row) -> None:
        raise NotImplementedError

    def apply(self, rows: list[Row], *, mode: str) -> None:
        raise NotImplementedError

    def after_batch_commit(self) -> None:
        """Hook run inside each committed batch's transaction (schedule on_commit work)."""

    def discard_batch(self) -> None:
        """The batch was rolled back: forget what after_batch_commit would have done."""

    def after_commit(self) -> None:
        """Hook run once after a committed (not dry-run) job finished."""


class InTextArray(Lookup):
    """`lhs IN (SELECT unnest(%s::text[]))`: a batch's thousands of keys travel as ONE
    array parameter (where `__in` builds, and the client interpolates, a placeholder
    per value), and the planner sees a small set to probe the index with, whatever the
    batch size (a 2,000-value `= ANY(…)` list tips it into a sequential scan)."""

    lookup_name = "in_text_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT unnest(%s::text[]))", [*lhs_params, list(self.rhs)]


def lower_in(queryset, field_name: str, values):
    """Rows whose lower-cased `field_name` is one of `values` (already lower-cased),
    annotated with that key as `_lower`."""
    values = list(values)
    if not values:
        return queryset.none().annotate(_lower=Lower(field_name))
    return queryset.annotate(_lower=Lower(field_name)).filter(InTextArray(F("_lower"), values))


__all__ = ["CREATED", "FAILED", "SKIPPED", "UNCHANGED", "UPDATED", "Processor", "Row", "client_name_keys",
           "lower_in", "name_key"]
