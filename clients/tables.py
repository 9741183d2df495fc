"""The clients list's table (opsmerge.tables)."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.html import format_html, format_html_join

from opsmerge.tables import DASH, Column, Table, ago
from opsmerge.templatetags.ui import pk_url, status_badge


class ClientTable(Table):
    """Rows need `primary_domain`, `asset_count`, `open_ticket_count`, `contract_status`
    and `last_activity_at` annotated and `tags` prefetched (ClientListView.get_queryset);
    registered columns read their apps' on_list related_counts."""

    name = Column("Name", sort=("name",), td_css="primary-cell")
    domain = Column("Primary domain", sort=("primary_domain",))
    assets = Column("Assets", sort=("asset_count",), css="num")
    tickets = Column("Open tickets", sort=("open_ticket_count",), css="num")
    contract = Column("Contract", sort=("contract_status",))
    activity = Column("Last activity", sort=("last_activity_at",), td_css="nowrap")
    default_sort = "name"
    list_key = "clients"  # other apps' columns (opsmerge.registry.list_columns), e.g. Microsoft 365 health

    def render_name(self, client):
        status = ""
        if client.status != "active":
            status = format_html(' <span class="badge {}">{}</span>', status_badge(client.status),
                                 client.get_status_display())
        tags = client.tags.all()
        tag_list = ""
        if tags:
            tag_list = format_html('<span class="cell-sub tag-list">{}</span>', format_html_join(
                "", '<a class="tag" href="?tag={}">{}</a>', ((quote(t.name, safe="/"), t.name) for t in tags)))
        return format_html('<a href="{}">{}</a>{}\n{}', pk_url("clients:detail", client.pk), client.name, status,
                           tag_list)

    def render_domain(self, client):
        return format_html('<span class="mono">{}</span>', client.primary_domain) if client.primary_domain else DASH

    def render_assets(self, client):
        return client.asset_count

    def render_tickets(self, client):
        n = client.open_ticket_count
        return format_html("<strong>{}</strong>", n) if n else '<span class="muted">0</span>'

    def render_contract(self, client):
        if not client.contract_status:
            return '<span class="muted">No contract</span>'
        return format_html('<span class="badge badge-dot {}">{}</span>', status_badge(client.contract_status),
                           client.contract_status.capitalize())

    def render_activity(self, client):
        return ago(client.last_activity_at)
