"""Which tables point at a client or a contact, found from the model registry.

Lifecycle (permanent delete impact) and merge walk these instead of a hand-kept
list, so a model another app adds later with a `client` or `contact` foreign key is
moved by a merge and counted by the delete impact without anybody remembering to
register it. Rows that must never follow a merge are listed in NOT_MOVED.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

# app_label.model_name.field: relations a merge must not rewrite. The merge log and
# duplicate suggestions describe clients rather than belong to them.
NOT_MOVED = frozenset({
    "clients.clientmerge.target",
    "clients.duplicatecandidate.client_a",
    "clients.duplicatecandidate.client_b",
    "clients.duplicatedismissal.client_a",
    "clients.duplicatedismissal.client_b",
})


@dataclass(frozen=True)
class Relation:
    model: type[models.Model]
    field: models.ForeignKey

    @property
    def key(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field.name}"

    @property
    def label(self) -> str:
        plural, singular = str(self.model._meta.verbose_name_plural), str(self.model._meta.verbose_name)
        return singular if singular.endswith("s") and plural == singular + "s" else plural  # "business hours"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def column(self) -> str:
        return self.field.column


def relations_to(model: type[models.Model]) -> list[Relation]:
    """Every foreign key (not M2M) on any model that points at `model`, in a stable
    order (app label, model, field). Hidden relations (related_name="+", e.g. the
    activity log) are included: they hold rows of the client all the same."""
    out = [
        Relation(rel.related_model, rel.field)
        for rel in model._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)
    ]
    return sorted(out, key=lambda r: r.key)


def movable_relations(model: type[models.Model]) -> list[Relation]:
    return [r for r in relations_to(model) if r.key not in NOT_MOVED]
