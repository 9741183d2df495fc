"""List tables: columns, sorting and row rendering declared in one place
(docs/decisions/0800-tables.md).

An app's `tables.py` declares one `Table` per list page:

    class SiteTable(Table):
        name = Column("Site", sort=("name",), td_css="primary-cell")
        assets = Column("Assets", sort=("asset_count",), css="num")
        default_sort = "name"

        def render_name(self, site):
            return format_html('<a href="{}">{}</a>', pk_url("sites:detail", site.pk), site.name)

`ObjectListView` takes its whitelisted `?sort=` keys from the columns and puts the
table of the current page in the context; `includes/table.html` renders it (with the
bulk bar when the list has bulk actions).

Cells are built in Python with `format_html` rather than a template per row or cell:
lists show up to 200 rows and the template engine's per-row work was most of their
time (see contacts' grouped view). A `render_<column>` method returns the cell's inner
HTML (escaped by `format_html`); without one, the row's attribute of the column's name
is shown escaped, or a muted dash. Rendering reads only what the view's queryset has
loaded (annotations, select_related, prefetches): it must never query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import localtime

DASH = mark_safe('<span class="muted">—</span>')


class Column:
    """One column. `sort` is the ORM ordering of `?sort=<name>` (None: not sortable);
    `css` is the class of its <th> and <td>s (num, actions), `td_css` of its <td>s only
    (primary-cell, mono, nowrap)."""

    _counter = 0

    def __init__(self, label: str = "", *, sort: tuple[str, ...] | None = None, css: str = "", td_css: str = ""):
        self.label = label
        self.sort = sort
        self.css = css
        self.td_css = " ".join(c for c in (css, td_css) if c)
        self.name = ""  # set by Table
        self.render: Callable[[Any], Any] | None = None  # a registered column's cell (opsmerge.registry)
        Column._counter += 1
        self._order = Column._counter


class Table:
    """Rows of one list page. Subclasses declare `Column`s and `render_<name>` methods."""

    columns: dict[str, Column] = {}
    default_sort: str = ""
    list_key: str = ""  # the key other apps' columns are registered under (opsmerge.registry.list_columns)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = dict(cls.columns)
        own = sorted(((name, value) for name, value in vars(cls).items() if isinstance(value, Column)),
                     key=lambda item: item[1]._order)
        for name, column in own:
            column.name = name
            declared[name] = column
        cls.columns = declared

    @classmethod
    def all_columns(cls) -> dict[str, Column]:
        """The declared columns plus those other apps registered for `list_key`, each
        placed before the column it names (else last). Registered ones carry their
        `render` as `column.render`."""
        if not cls.list_key:
            return cls.columns
        from .registry import list_columns

        out = dict(cls.columns)
        for entry in list_columns:
            if entry.list_key != cls.list_key:
                continue
            column = Column(entry.label, sort=entry.sort, css=entry.css, td_css=entry.td_css)
            column.name, column.render = entry.name, entry.render
            names = list(out)
            at = names.index(entry.before) if entry.before in out else len(names)
            out = {**{n: out[n] for n in names[:at]}, entry.name: column, **{n: out[n] for n in names[at:]}}
        return out

    @classmethod
    def sort_fields(cls) -> dict[str, tuple[str, ...]]:
        """The whitelisted `?sort=` keys and their ORM orderings."""
        return {name: column.sort for name, column in cls.all_columns().items() if column.sort}

    @classmethod
    def sort_of(cls, request: HttpRequest) -> str:
        """The request's `?sort=` key if the table allows it, else its default."""
        requested = request.GET.get("sort", "")
        return requested if requested.lstrip("-") in cls.sort_fields() else cls.default_sort

    def __init__(self, rows: Iterable, *, request: HttpRequest, sort: str = "", selectable: bool = False,
                 perms: Iterable[str] = (), exclude: Iterable[str] = ()):
        self.rows = rows
        self.request = request
        self.sort = sort or self.default_sort
        self.selectable = selectable
        self.perms = frozenset(perms)
        self.visible = [c for name, c in self.all_columns().items() if name not in set(exclude)]

    # -------------------------------------------------------------- header

    @cached_property
    def header(self) -> SafeString:
        """The <th>s: a select-page checkbox, then sort links that toggle `?sort=key`
        / `?sort=-key`, keeping the other parameters and dropping the page number."""
        cells = []
        if self.selectable:
            cells.append('<th class="check"><input type="checkbox" data-select-page '
                         'aria-label="Select all on this page"></th>')
        params = self.request.GET.copy()
        params.pop("page", None)
        for column in self.visible:
            if not column.sort:
                cells.append(format_html('<th{}>{}</th>', _class(column.css), column.label))
                continue
            params["sort"] = f"-{column.name}" if self.sort == column.name else column.name
            arrow = ""
            if self.sort.lstrip("-") == column.name:
                arrow = " ↓" if self.sort.startswith("-") else " ↑"
            cells.append(format_html('<th class="{}"><a href="?{}" class="{}">{}{}</a></th>', column.css,
                                     params.urlencode(), "is-sorted" if arrow else "", column.label, arrow))
        return mark_safe("".join(cells))  # noqa: S308 (every value escaped above)

    def render(self) -> None:
        """Render the header and rows now (they are cached for the template)."""
        self.header, self.body  # noqa: B018

    # -------------------------------------------------------------- body

    @cached_property
    def body(self) -> SafeString:
        """Every <tr> of the page."""
        return mark_safe("".join(self.render_row(row) for row in self.rows))  # noqa: S308 (cells are escaped)

    @cached_property
    def _cells(self) -> list[tuple[str, Any]]:
        """(opening <td>, render function) of the visible columns, looked up once
        per table. Functions of the class, not bound methods: a bound method kept on the
        instance would make a reference cycle, and the rows it holds would wait for the
        cyclic garbage collector (measurably slower pages)."""
        cls = type(self)
        return [(f"<td{_class(column.td_css)}>",
                 _registered(column.render) if column.render else
                 getattr(cls, f"render_{column.name}", None) or partial(cls.render_default, column=column))
                for column in self.visible]

    def render_row(self, row) -> str:
        cells = [format_html('<td class="check"><input type="checkbox" name="pk" value="{}" '
                             'aria-label="Select {}"></td>', row.pk, row)] if self.selectable else []
        for opening, render in self._cells:
            cells.append(f"{opening}{render(self, row)}</td>")
        return f"<tr{self.row_attrs(row)}>{''.join(cells)}</tr>\n"

    def row_attrs(self, row) -> str:
        """Extra attributes of a row's <tr> (escaped HTML, with a leading space)."""
        return ""

    def render_default(self, row, column: Column) -> Any:
        """The row's attribute of the column's name, escaped, or a muted dash."""
        value = getattr(row, column.name, None)
        return conditional_escape(value) if value not in (None, "") else DASH

    # -------------------------------------------------------------- helpers for cells

    @cached_property
    def csrf_input(self) -> SafeString:
        """{% csrf_token %} for forms inside cells, built once per table."""
        return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(self.request))

    @cached_property
    def here(self) -> str:
        return self.request.get_full_path()


def sorted_by(queryset, sort_fields: dict[str, tuple[str, ...]], key: str):
    """`queryset` in the order of a whitelisted `?sort=` key ("-name": descending),
    the primary key last so pages never overlap."""
    if not key:
        return queryset.order_by("pk")
    fields = sort_fields[key.lstrip("-")]
    if key.startswith("-"):
        fields = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
    return queryset.order_by(*fields, "-pk" if key.startswith("-") else "pk")


def _registered(render: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """A registered column's render(row) as the (table, row) function rows call."""
    return lambda table, row: render(row)


def _class(css: str) -> str:
    return format_html(' class="{}"', css) if css else ""


def ago(moment) -> SafeString:
    """"3 days ago", the exact time on hover; a muted dash when unknown."""
    if moment is None:
        return DASH
    return format_html('<span title="{}">{} ago</span>', date_format(localtime(moment), "DATETIME_FORMAT"),
                       timesince(moment))
