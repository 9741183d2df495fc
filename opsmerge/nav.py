"""The sidebar: a small registry of destinations. Entries whose url name is not
(yet) defined are skipped, so an app's page appears once its urls module ships it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    op: str = "view"  # accounts.permissions.Op value the user needs to see the entry
    section: str = ""  # a heading shown above this entry
    namespaces: tuple[str, ...] = ()  # url namespaces that mark the entry active


NAV: list[NavItem] = [
    NavItem("Clients", "clients:list", "building", namespaces=("clients",)),
    NavItem("Contacts", "contacts:list", "users", namespaces=("contacts",)),
    NavItem("Sites", "sites:list", "pin", namespaces=("sites",)),
    NavItem("Assets", "assets:list", "laptop", namespaces=("assets",)),
    NavItem("Tickets", "tickets:list", "ticket", namespaces=("tickets",)),
    NavItem("Imports", "imports:list", "upload", op="import", section="Data", namespaces=("imports",)),
    NavItem("Integrations", "m365:index", "plug", namespaces=("m365",)),
    NavItem("Activity", "activity", "activity", op="audit_view", namespaces=("activity",)),
    NavItem("Settings", "settings:index", "settings", op="settings", section="Admin", namespaces=("settings",)),
]


def register_nav_item(item: NavItem, *, before: str | None = None) -> None:
    """Add an entry (apps call this from AppConfig.ready); `before` is a url name."""
    if any(existing.url_name == item.url_name for existing in NAV):
        return
    index = next((i for i, e in enumerate(NAV) if e.url_name == before), len(NAV))
    NAV.insert(index, item)


def nav_for(request, perms_ops) -> list[dict]:
    match = getattr(request, "resolver_match", None)
    namespace = match.namespaces[0] if match and match.namespaces else ""
    url_name = match.view_name if match else ""
    items = []
    for item in NAV:
        if item.op not in perms_ops:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = namespace in item.namespaces or url_name == item.url_name
        items.append({"label": item.label, "url": url, "icon": item.icon, "section": item.section, "active": active})
    return items
