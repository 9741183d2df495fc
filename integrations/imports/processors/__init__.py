"""One processor per import kind."""

from importlib import import_module

_PROCESSORS = {
    "clients": "integrations.imports.processors.clients.ClientsProcessor",
    "contacts": "integrations.imports.processors.contacts.ContactsProcessor",
    "sites": "integrations.imports.processors.sites.SitesProcessor",
}


def processor_for(kind: str):
    module, name = _PROCESSORS[kind].rsplit(".", 1)
    return getattr(import_module(module), name)
