"""The contacts tables: the flat list (ContactListView), and through
`{% contact_rows %}` the grouped view and a client's Contacts tab.

Rows need `ticket_count`, `asset_count`, `client` and `organisation` (select_related)
and `tag_list` (contacts.selectors.contact_rows): rendering never queries. The grouped
view renders up to 500 rows, so cells are plain `format_html` (opsmerge.tables).
"""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from opsmerge.tables import DASH, Column, Table
from opsmerge.templatetags.ui import pk_url


def contact_badges(c) -> str:
    """Active / Inactive / Pending setup, and VIP."""
    if not c.is_active:
        state = '<span class="badge badge-neutral">Inactive</span>'
    elif c.is_pending_setup:
        state = '<span class="badge badge-warning">Pending setup</span>'
    else:
        state = '<span class="badge badge-success">Active</span>'
    vip = '<span class="badge badge-vip">VIP</span>' if c.is_vip else ""
    return mark_safe(f"{state}\n{vip}\n")  # noqa: S308 (constant markup)


class ContactTable(Table):
    name = Column("Name", sort=("last_name", "first_name", "organisation_name"), td_css="primary-cell")
    client = Column("Client", sort=("client__name",))
    email = Column("Email", sort=("email",))
    phone = Column("Phone", td_css="nowrap")
    status = Column("Status & roles")
    tickets = Column("Tickets", sort=("ticket_count",), css="num")
    assets = Column("Assets", sort=("asset_count",), css="num")
    actions = Column("", css="actions")
    default_sort = "name"

    def __init__(self, rows, *, show_client: bool = True, phone_inline: bool = True, **kwargs):
        """The flat list shows the client and the phone under the email; a client's tab
        shows neither the client nor the phone inline (a Phone column instead)."""
        exclude = [*kwargs.pop("exclude", ()), *([] if show_client else ["client"]), *(["phone"] if phone_inline else [])]
        super().__init__(rows, exclude=exclude, **kwargs)
        self.phone_inline = phone_inline

    @cached_property
    def list_url(self) -> str:
        return reverse("contacts:list")

    @cached_property
    def can_edit(self) -> bool:
        return "contact_edit" in self.perms

    def render_name(self, c):
        sub = escape(c.job_title) if c.job_title else ""
        if c.organisation:
            sub += (" · " if c.job_title else "") + escape(c.organisation.display_name)
        tags = ""
        if c.tag_list:
            tags = format_html('<span class="cell-sub tag-list">{}</span>', format_html_join(
                "", '<a class="tag" href="{}?tag={}">{}</a>',
                ((self.list_url, quote(t.name, safe="/"), t.name) for t in c.tag_list)))
        return format_html(
            '<a href="{}">{}</a>\n    {}\n    <span class="cell-sub">{}</span>\n    {}\n  ',
            pk_url("contacts:detail", c.pk), c.display_name,
            mark_safe('<span class="badge badge-info">Organisation</span>' if c.kind == "organisation" else ""),  # noqa: S308
            mark_safe(sub), tags)  # noqa: S308 (escaped above)

    def render_client(self, c):
        if not c.client:
            return '<span class="muted">No client</span>'
        return format_html('<a href="{}?client={}" title="All contacts of {}">{}</a>', self.list_url, c.client_id,
                           c.client.name, c.client.name)

    def render_email(self, c):
        email = format_html('<a href="mailto:{}">{}</a>', c.email, c.email) if c.email else DASH
        phone = format_html('<span class="cell-sub">{}</span>', c.phone) if self.phone_inline and c.phone else ""
        return f"{email}{phone}"

    def render_phone(self, c):
        return escape(c.phone or c.mobile or "—")

    def render_status(self, c):
        roles = "".join(f'<span class="badge{" badge-accent" if r == "Primary" else ""}">{r}</span>'
                        for r in c.role_labels if r != "VIP")
        return f'<span class="tag-list">{contact_badges(c)}{roles}</span>'

    def render_tickets(self, c):
        return c.ticket_count

    def render_assets(self, c):
        return c.asset_count

    def render_actions(self, c):
        if not self.can_edit:
            return ""
        actions = ""
        if c.client_id and not c.is_primary and c.is_active:
            actions += format_html(
                '\n    <form method="post" action="{}" style="display:inline">{}<input type="hidden" name="next" '
                'value="{}"><button class="btn btn-sm btn-ghost" type="submit">Make primary</button></form>',
                pk_url("contacts:make_primary", c.pk), self.csrf_input, self.here)
        actions += format_html('\n    <a class="btn btn-sm btn-ghost" href="{}?next={}">Edit</a>',
                               pk_url("contacts:edit", c.pk), quote(self.here, safe="/"))
        return actions


class DeletedContactTable(Table):
    """Deleted contacts (Super Admin): Restore, or where a merge took them, its winner.
    Rows need `client`, `deleted_by` and `merged_into` (contacts.selectors.contact_deleted_list)."""

    contact = Column("Contact", td_css="primary-cell")
    client = Column("Client")
    deleted = Column("Deleted", td_css="nowrap")
    by = Column("By")
    actions = Column(css="actions")
    default_sort = ""

    def render_contact(self, c):
        return format_html('{}<span class="cell-sub mono">{}</span>', c, c.email)

    def render_client(self, c):
        return escape(c.client.name) if c.client_id else DASH

    def render_deleted(self, c):
        return date_format(c.deleted_at, "j M Y") if c.deleted_at else DASH

    def render_by(self, c):
        return escape(c.deleted_by) if c.deleted_by else DASH

    def render_actions(self, c):
        if c.merged_into_id:
            return format_html('<span class="muted small">Merged into {}</span>', c.merged_into)
        return format_html('<form method="post" action="{}">{}<button class="btn btn-sm" type="submit">Restore'
                           '</button></form>', pk_url("contacts:restore", c.pk), self.csrf_input)
