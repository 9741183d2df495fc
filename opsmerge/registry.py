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
    exist (yet) are skipped, so a half-shipped feature never breaks the client page.

    A tab whose `view` is set (the dotted path of a view class, usually a subclass of
    clients.views.tabs.ClientTabView in the app that owns the rows) is routed by the
    clients app at /clients/<pk>/<route>/ as `url_name` (which then lives in the
    "clients" namespace); a tab without one is routed by its own app."""

    key: str  # matched against `active_tab` in the template context
    label: str
    url_name: str
    kwarg: str = "pk"  # the URL kwarg that receives the client's id
    op: str = "view"
    view: str = ""
    route: str = ""


client_tabs = Registry[ClientTab]("client_tabs")


@dataclass(frozen=True)
class RelatedCount:
    """An annotation an app contributes to another app's rows, usually a count of its
    own rows (opsmerge.db.count_subquery): `expression()` returns it. `model` is the
    label of the annotated model ("clients.Client"). Every entry is on that model's
    detail page; `on_list` ones are also columns of its list (one query either way)."""

    model: str
    name: str  # the annotation name, e.g. "open_ticket_count"
    expression: Callable[[], Any]
    on_list: bool = False

    @property
    def key(self) -> str:
        return f"{self.model}.{self.name}"


related_counts = Registry[RelatedCount]("related_counts")


def annotations_for(model: str, *, on_list: bool = False) -> dict[str, Any]:
    """{name: expression} of the related counts registered for `model` (only the list
    columns when `on_list`)."""
    return {c.name: c.expression() for c in related_counts if c.model == model and (c.on_list or not on_list)}


@dataclass(frozen=True)
class Panel:
    """A card an app adds to another app's detail page: `context(msp=, obj=)` returns
    the context of `template`, which renders one card. `model` is the label of the
    page's object ("contacts.Contact"). Shown by {% detail_panels obj "slot" %} in order;
    the template gets the page's context plus what `context` returned."""

    model: str
    name: str
    template: str
    context: Callable[..., dict] | None = None
    slot: str = "main"  # where on the page: "main" (the left column of cards) or "stats" (the figures row)
    op: str = "view"

    @property
    def key(self) -> str:
        return f"{self.model}.{self.name}"


panels = Registry[Panel]("panels")


@dataclass(frozen=True)
class ListColumn:
    """A column an app adds to another app's list table (`list_key`, e.g. "clients";
    the table's `Table.list_key`). `render(row)` returns the cell's inner HTML
    (escaped, e.g. format_html) from what the list's queryset loaded, usually a
    `related_counts` annotation with on_list (it must never query); `sort` is the ORM
    ordering of `?sort=<name>`. Placed `before=` one of the table's own columns, else last."""

    list_key: str
    name: str
    label: str
    render: Callable[[Any], Any]
    sort: tuple[str, ...] | None = None
    css: str = ""
    td_css: str = ""
    before: str = ""

    @property
    def key(self) -> str:
        return f"{self.list_key}.{self.name}"


list_columns = Registry[ListColumn]("list_columns")


@dataclass(frozen=True)
class ListFilter:
    """A filter an app adds to another app's list (web and API): `?<name>=<value>`
    with one of `choices` ([(value, label)]) calls `apply(queryset, value)`. The list's
    filterset adds it (opsmerge.filtersets.MspFilterSet with `list_key`), and the
    list's filter bar shows it as a select."""

    list_key: str
    name: str
    label: str
    choices: tuple[tuple[str, str], ...]
    apply: Callable[[Any, str], Any]
    empty_label: str = "Any"

    @property
    def key(self) -> str:
        return f"{self.list_key}.{self.name}"


list_filters = Registry[ListFilter]("list_filters")


# ---------------------------------------------------------------- client lifecycle hooks


@dataclass(frozen=True)
class DeleteGate:
    """A reason that can stop a client's permanent delete: `check(msp=, client=)`
    returns the blocker message, or "" when this gate is open. Apps that own rows which
    must not vanish with a client (invoices, connected tenants) register one."""

    key: str
    check: Callable[..., str]


client_delete_gates = Registry[DeleteGate]("client_delete_gates")


@dataclass(frozen=True)
class MergeStep:
    """A stage of a client merge (clients.merge), in order. The clients app registers
    its own (primary domain, business hours, moving every row, the target's fields,
    archiving the sources); an app whose rows need more than moving (contacts with the
    same email, one HQ site) registers one with `before=`. Every part is optional:
    - `run(merger)`: set-based statements through `merger.log`, so Undo restores them;
    - `preview(preview=, msp=, target=, sources=)`: fills the preview page's fields;
    - `clean_choices(msp=, client_ids=, choices=)`: the validated choices this step
      reads back from `merger.merge.choices` (a dict merged into them);
    - `after(msp=, merger=)`: runs in the merge's transaction once every stage ran
      (e.g. to send signals on commit)."""

    key: str
    label: str
    run: Callable[..., None] | None = None
    preview: Callable[..., None] | None = None
    clean_choices: Callable[..., dict] | None = None
    after: Callable[..., None] | None = None


client_merge_steps = Registry[MergeStep]("client_merge_steps")


@dataclass(frozen=True)
class OnboardingStep:
    """A part of the new-client form's one save (seed 004) owned by another app:
    `apply(msp=, client=, data=, actor=)` creates its rows for the new client from
    `data` (the dict given to clients.onboarding.client_onboard under `key`). A
    ValidationError it raises is reported against "<key>.<field>"."""

    key: str  # e.g. "hq_site", "primary_contact"
    apply: Callable[..., Any]


onboarding_steps = Registry[OnboardingStep]("onboarding_steps")


@dataclass(frozen=True)
class BulkActionEntry:
    """A bulk action an app adds to another app's list: `action()` returns an
    opsmerge.views.generic.BulkAction. `list_key` names the list ("clients")."""

    list_key: str
    name: str
    action: Callable[[], Any]
    before: str = ""  # the name of the list's own action this one goes before

    @property
    def key(self) -> str:
        return f"{self.list_key}.{self.name}"


bulk_actions = Registry[BulkActionEntry]("bulk_actions")


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
