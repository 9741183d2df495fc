"""Registries: how apps tell the core (and lower apps) what to show, without the
core importing them.

The core owns the registries; each app fills them from its `AppConfig.ready()`
(NetBox's `registry`, Wagtail's hooks). Nothing here imports an app, and an app
only registers into a registry owned by the core or by a lower app, so the
dependency order of docs/architecture.md holds:

    # contacts/apps.py
    def ready(self):
        from opsmerge.registry import SearchProvider, search_providers
        search_providers.register(SearchProvider("contacts", "Contacts", "users", search_contacts,
                                                 more_url="contacts:list"))

Entries are kept in order; `before=` puts one ahead of an existing key. Registering
a key twice is a no-op, so a reloaded module in development does not duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered collection of entries with a unique `key` attribute."""

    def __init__(self, name: str, *, key: str = "key") -> None:
        self.name = name
        self._key = key
        self._items: list[T] = []

    def key_of(self, item: T) -> str:
        return getattr(item, self._key)

    def register(self, item: T, *, before: str | None = None) -> T:
        key = self.key_of(item)
        if key in self:
            return item
        index = next((i for i, e in enumerate(self._items) if self.key_of(e) == before), len(self._items))
        self._items.insert(index, item)
        return item

    def unregister(self, key: str) -> None:
        self._items = [e for e in self._items if self.key_of(e) != key]

    def get(self, key: str, default: T | None = None) -> T | None:
        return next((e for e in self._items if self.key_of(e) == key), default)

    def __getitem__(self, key: str) -> T:
        item = self.get(key)
        if item is None:
            raise KeyError(f"{self.name}: nothing registered as {key!r}")
        return item

    def __contains__(self, key: object) -> bool:
        return any(self.key_of(e) == key for e in self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self.key_of(e) for e in self._items)}>"


# ---------------------------------------------------------------- the sidebar


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    op: str = "view"  # permission op the user needs to see the entry
    section: str = ""  # a heading shown above this entry
    namespaces: tuple[str, ...] = ()  # url namespaces that mark the entry active

    @property
    def key(self) -> str:
        return self.url_name


nav = Registry[NavItem]("nav")


# ---------------------------------------------------------------- global search


@dataclass(frozen=True)
class SearchProvider:
    """One group of the global search page: `search(msp=, request=, q=)` returns a
    queryset (sliced by the core) of objects opsmerge.links can link; `subtitle(obj)`
    is the grey line under each result."""

    key: str
    label: str
    icon: str
    search: Callable[..., Any]
    subtitle: Callable[[Any], str] = str
    more_url: str = ""  # the list page that shows all matches (?q=)
    op: str = "view"


search_providers = Registry[SearchProvider]("search_providers")


# ---------------------------------------------------------------- client page


@dataclass(frozen=True)
class ClientTab:
    """A tab of the client page. Its view renders a template extending
    "clients/client_base.html" with `active_tab = <key>`. Tabs whose url name does not
    exist (yet) are skipped, so a half-shipped feature never breaks the client page."""

    key: str  # matched against `active_tab` in the template context
    label: str
    url_name: str
    kwarg: str = "pk"  # the URL kwarg that receives the client's id
    op: str = "view"


client_tabs = Registry[ClientTab]("client_tabs")


@dataclass(frozen=True)
class ClientCount:
    """A per-client count an app contributes: `expression()` returns an annotation
    over clients (usually opsmerge.db.count_subquery). Every count is on the client
    overview; `on_list` ones are also columns of the client list (one query either way)."""

    key: str  # the annotation name, e.g. "open_ticket_count"
    expression: Callable[[], Any]
    on_list: bool = False


client_counts = Registry[ClientCount]("client_counts")


# ---------------------------------------------------------------- exports


@dataclass(frozen=True)
class Exporter:
    """Writes a queryset as a file: `respond(queryset=, kind=, file_format=, msp=)`
    returns the HTTP response. Lists' "Export" bulk actions use the one registered."""

    key: str
    respond: Callable[..., Any]


exporters = Registry[Exporter]("exporters")


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingsPage:
    """A card of the Settings index: `count(msp=)` (optional) gives the figure shown;
    `urls()` (optional) returns the page's url patterns, routed under /settings/ in
    the "settings" namespace (a page routed elsewhere leaves it None)."""

    key: str
    label: str
    url_name: str
    description: str = ""
    count: Callable[..., int] | None = None
    urls: Callable[[], list] | None = None
    op: str = "settings"


settings_pages = Registry[SettingsPage]("settings_pages")
