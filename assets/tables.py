"""The assets list's table (opsmerge.tables)."""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.timesince import timesince

from opsmerge.tables import DASH, Column, Table
from opsmerge.templatetags.ui import pk_url


class AssetTable(Table):
    """Rows need `client`, `site` and `contact` (select_related)."""

    name = Column("Name", sort=("name",), td_css="primary-cell")
    client = Column("Client", sort=("client__name",))
    kind = Column("Kind", sort=("kind",))
    os = Column("OS")
    serial = Column("Serial", td_css="mono")
    site = Column("Site", sort=("site__name",))
    user = Column("User")
    seen = Column("Last seen", sort=("last_seen_at",), td_css="nowrap")
    default_sort = "name"

    def render_name(self, asset):
        sub = ""
        if asset.manufacturer or asset.model:
            sub = format_html('<span class="cell-sub">{} {}</span>', asset.manufacturer, asset.model)
        return format_html('<a href="{}">{}</a>{}', pk_url("assets:detail", asset.pk), asset.name, sub)

    def render_client(self, asset):
        if not asset.client:
            return '<span class="muted">Unassigned</span>'
        return format_html('<a href="{}">{}</a>', pk_url("clients:assets", asset.client_id), asset.client.name)

    def render_kind(self, asset):
        return escape(asset.get_kind_display())

    def render_os(self, asset):
        version = format_html(' <span class="muted">{}</span>', asset.os_version) if asset.os_version else ""
        return format_html("{}{}", asset.os or "—", version)

    def render_serial(self, asset):
        return escape(asset.serial_number or "—")

    def render_site(self, asset):
        return escape(asset.site or "—")

    def render_user(self, asset):
        return escape(asset.contact or "—")

    def render_seen(self, asset):
        return format_html("{} ago", timesince(asset.last_seen_at)) if asset.last_seen_at else DASH
