"""The connector registry: kind → Connector class. Each connector module registers
itself with `@register`; `load_all()` imports the known modules (absent ones are
skipped, so a branch without a product still works)."""

from __future__ import annotations

import importlib

from .base import Connector, CredentialField, PsaCompany, PsaContact, PsaError, PsaTicket

CONNECTORS: dict[str, type[Connector]] = {}
MODULES = ("connectwise", "autotask", "halopsa")


def register(cls: type[Connector]) -> type[Connector]:
    CONNECTORS[cls.kind] = cls
    return cls


def load_all() -> dict[str, type[Connector]]:
    for name in MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return CONNECTORS


def connector_class(kind: str) -> type[Connector]:
    load_all()
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"no PSA connector {kind!r} (known: {', '.join(sorted(CONNECTORS))})") from None


def choices() -> list[tuple[str, str]]:
    return [(kind, cls.label) for kind, cls in sorted(load_all().items())]


__all__ = ["CONNECTORS", "Connector", "CredentialField", "PsaCompany", "PsaContact", "PsaError", "PsaTicket",
           "choices", "connector_class", "load_all", "register"]
