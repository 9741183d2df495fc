"""The sites list's table (opsmerge.tables)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from opsmerge.tables import Column, Table
from opsmerge.templatetags.ui import pk_url


class SiteTable(Table):
    """Rows need `client` (select_related), `asset_count` and `open_ticket_count`."""

    name = Column("Site", sort=("name",), td_css="primary-cell")
    client = Column("Client", sort=("client__name", "name"))
    city = Column("City", sort=("city",))
    country = Column("Country")
    assets = Column("Assets", sort=("asset_count",), css="num")
    tickets = Column("Open tickets", sort=("open_ticket_count",), css="num")
    default_sort = "client"

    @cached_property
    def assets_url(self) -> str:
        return reverse("assets:list")

    def render_name(self, site):
        hq = mark_safe(' <span class="badge badge-accent">HQ</span>') if site.is_hq else ""
        return format_html('<a href="{}">{}</a>{}', pk_url("sites:detail", site.pk), site.name, hq)

    def render_client(self, site):
        return format_html('<a href="{}">{}</a>', pk_url("clients:sites", site.client_id), site.client.name)

    def render_city(self, site):
        return escape(site.city or "—")

    def render_country(self, site):
        return escape(site.country or "—")

    def render_assets(self, site):
        return format_html('<a href="{}?site={}">{}</a>', self.assets_url, site.pk, site.asset_count)

    def render_tickets(self, site):
        return site.open_ticket_count
