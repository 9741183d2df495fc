"""Tabs of the client page: a registry other apps extend.

An app adds its tab from its AppConfig.ready() (or module import):

    from clients.tabs import ClientTab, register_client_tab
    register_client_tab(ClientTab("m365", "Microsoft 365", "m365:client_tenants", kwarg="client_pk"),
                        before="activity")

Its view renders a template that extends "clients/client_base.html" with `client`
and `active_tab = "m365"` in the context. Tabs whose url name does not exist (yet)
are skipped, so a half-shipped feature never breaks the client page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class ClientTab:
    key: str  # matched against `active_tab` in the template context
    label: str
    url_name: str
    kwarg: str = "pk"  # the URL kwarg that receives the client's id
    op: str = "view"  # accounts.permissions.Op value needed to see the tab


CLIENT_TABS: list[ClientTab] = [
    ClientTab("overview", "Overview", "clients:detail"),
    ClientTab("contacts", "Contacts", "clients:contacts"),
    ClientTab("sites", "Sites", "clients:sites"),
    ClientTab("assets", "Assets", "clients:assets"),
    ClientTab("tickets", "Tickets", "clients:tickets"),
    ClientTab("billing", "Contracts & invoices", "clients:billing"),
    ClientTab("documents", "Documents", "clients:documents"),
    ClientTab("activity", "Activity", "clients:activity", op="audit_view"),
]


def register_client_tab(tab: ClientTab, *, before: str | None = "activity") -> None:
    """Insert `tab` before the tab keyed `before` (at the end when None/unknown).
    Registering the same key twice is a no-op (module reloads in dev)."""
    if any(existing.key == tab.key for existing in CLIENT_TABS):
        return
    index = next((i for i, t in enumerate(CLIENT_TABS) if t.key == before), len(CLIENT_TABS))
    CLIENT_TABS.insert(index, tab)


def tabs_for(*, client, request=None, perms_ops=frozenset()) -> list[dict]:
    tabs = []
    for tab in CLIENT_TABS:
        if tab.op not in perms_ops:
            continue
        try:
            url = reverse(tab.url_name, kwargs={tab.kwarg: client.pk})
        except NoReverseMatch:
            continue
        tabs.append({"key": tab.key, "label": tab.label, "url": url})
    return tabs
