"""The clients list's table (opsmerge.tables)."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join

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


class ArchivedClientTable(Table):
    """"Show archived": per-row Restore and (Super Admin) Delete permanently; a merged
    client links to its target instead. Rows need `archived_by` and `merged_into`."""

    name = Column("Name", sort=("name",), td_css="primary-cell")
    archived = Column("Archived", sort=("archived_at",), td_css="nowrap")
    by = Column("By")
    reason = Column("Reason")
    actions = Column(css="actions")
    default_sort = "-archived"

    def render_name(self, client):
        merged = ""
        if client.merged_into_id:
            merged = format_html('<span class="cell-sub">Merged into <a href="{}">{}</a></span>',
                                 pk_url("clients:detail", client.merged_into_id), client.merged_into.name)
        return format_html('<a href="{}">{}</a>{}', pk_url("clients:detail", client.pk), client.name, merged)

    def render_archived(self, client):
        return date_format(client.archived_at, "j M Y") if client.archived_at else DASH

    def render_by(self, client):
        return escape(client.archived_by) if client.archived_by else DASH

    def render_reason(self, client):
        return escape(client.archive_reason) if client.archive_reason else DASH

    def render_actions(self, client):
        if client.merged_into_id:
            return ""
        html = ""
        if "client_archive" in self.perms:
            html += format_html('<form method="post" action="{}" class="inline">{}<input type="hidden" name="next" '
                                'value="{}"><button class="btn btn-sm" type="submit">Restore</button></form>',
                                pk_url("clients:restore", client.pk), self.csrf_input, self.here)
        if "client_delete" in self.perms:
            html += format_html(' <a class="btn btn-sm btn-danger-outline" href="{}">Delete permanently</a>',
                                pk_url("clients:delete", client.pk))
        return html

    def row_attrs(self, client):
        return format_html(' data-client="{}"', client.pk)
