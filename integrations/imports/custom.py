"""MSP-defined custom fields in imports and exports.

Each custom field of the kind is one more column: its header is the field's label
(the key in brackets when the label would clash with a built-in header or another
field's label), matched by label or key. Values are checked by
`clients.custom_fields.coerce_value` — the same rules and messages as the forms and
the API — and merged into the record's `custom_fields` JSON: a blank cell leaves the
stored value as it is, keys of other fields are kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from clients.custom_fields import coerce_value, custom_field_definitions

from .columns import CLIENTS, COLUMNS, CONTACTS, Column, header_key

PREFIX = "custom:"  # field key of a custom column in mappings and Row.values
APPLIES_TO = {CLIENTS: "client", CONTACTS: "contact"}


def definitions_for(*, msp, kind: str) -> list:
    """The MSP's custom fields of an import kind, in their display order (position)."""
    applies_to = APPLIES_TO.get(kind)
    return custom_field_definitions(msp=msp, applies_to=applies_to) if applies_to else []


def _columns(kind: str, definitions: list) -> list[Column]:
    taken = {header_key(c.header) for c in COLUMNS[kind]} | {header_key(c.key) for c in COLUMNS[kind]}
    columns = []
    for field in definitions:
        header = field.label
        if not header_key(header) or header_key(header) in taken:
            header = f"{field.label} ({field.key})"
        taken.add(header_key(header))
        columns.append(Column(PREFIX + field.key, header, False, (field.key,), field.get_field_type_display(),
                              custom=True))
    return columns


def custom_columns(*, msp, kind: str) -> list[Column]:
    return _columns(kind, definitions_for(msp=msp, kind=kind))


def cell_text(value: Any) -> str:
    """A stored value as the cell the importer reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (True == 1 in Python, not in JSON)."""
    return type(a) is type(b) and a == b


class CustomCells:
    """Per import job: the kind's definitions (fetched once), used per row."""

    def __init__(self, *, msp, kind: str):
        self.definitions = definitions_for(msp=msp, kind=kind)
        self.by_column = {PREFIX + f.key: f for f in self.definitions}
        self.required = [f for f in self.definitions if f.required]

    def active(self, mapping_keys) -> bool:
        """True when this job has anything to do with custom fields."""
        return bool(self.required) or any(k in self.by_column for k in mapping_keys)

    def clean(self, row) -> None:
        """Coerce the row's non-blank custom cells into row.data["custom_fields"]."""
        values = {}
        for column, field in self.by_column.items():
            raw = row.values.get(column, "")
            if raw == "":
                continue  # blank: leave the stored value as it is
            try:
                values[field.key] = coerce_value(field, raw)
            except ValidationError as exc:
                row.error(column, " ".join(exc.messages))
        if values:
            row.data["custom_fields"] = values

    def check_new(self, row) -> bool:
        """A new record needs its required custom fields (as in the forms). Reports
        each missing one on the row; returns whether the row is still fine."""
        given = row.data.get("custom_fields", {})
        for field in self.required:
            if field.key in given:
                continue
            try:
                coerce_value(field, None)
            except ValidationError as exc:
                row.error(PREFIX + field.key, " ".join(exc.messages))
        return row.ok

    @staticmethod
    def merged(stored: dict | None, row) -> dict | None:
        """The JSON to store when the row changes it, else None."""
        new = row.data.get("custom_fields")
        stored = stored or {}
        if not new or all(same(stored.get(k), v) for k, v in new.items()):
            return None
        return {**stored, **new}

    def export_cells(self, stored: dict | None) -> list[str]:
        stored = stored or {}
        return [cell_text(stored.get(f.key)) for f in self.definitions]
