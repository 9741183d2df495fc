"""Rows of the contacts tables (flat list, grouped by client, a client's Contacts tab).

`{% contact_rows rows show_client=… show_phone_inline=… selectable=… %}` renders every
<tr> in Python: the grouped view shows up to 500 rows, and the template engine's
per-row variable, include and {% url %} work was most of that page's time
(bench list_pages: contacts_grouped_ms_p50). Rows need `ticket_count`, `asset_count`,
`organisation` (select_related) and `tag_list` (contacts.views.contacts.contact_tags_prefetch).
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from opsmerge.templatetags.ui import pk_url

register = template.Library()


@register.simple_tag
def contact_badges(c) -> SafeString:
    """Active / Inactive / Pending setup, and VIP."""
    if not c.is_active:
        state = '<span class="badge badge-neutral">Inactive</span>'
    elif c.is_pending_setup:
        state = '<span class="badge badge-warning">Pending setup</span>'
    else:
        state = '<span class="badge badge-success">Active</span>'
    vip = '<span class="badge badge-vip">VIP</span>' if c.is_vip else ""
    return mark_safe(f"{state}\n{vip}\n")  # noqa: S308 (constant markup)


def _roles(c) -> str:
    return "".join(f'<span class="badge{" badge-accent" if r == "Primary" else ""}">{r}</span>'
                   for r in c.role_labels if r != "VIP")


def _row(c, *, list_url, here, next_q, csrf, can_edit, show_client, show_phone_inline, selectable) -> str:
    cells = []
    if selectable:
        cells.append(format_html('<td class="check"><input type="checkbox" name="pk" value="{}" aria-label="Select {}">'
                                 "</td>", c.pk, c))
    sub = escape(c.job_title) if c.job_title else ""
    if c.organisation:
        sub += (" · " if c.job_title else "") + escape(c.organisation.display_name)
    tags = ""
    if c.tag_list:
        tags = format_html('<span class="cell-sub tag-list">{}</span>', mark_safe("".join(  # noqa: S308
            format_html('<a class="tag" href="{}?tag={}">{}</a>', list_url, quote(t.name, safe="/"), t.name)
            for t in c.tag_list)))
    cells.append(format_html(
        '<td class="primary-cell"><a href="{}">{}</a>\n    {}\n    <span class="cell-sub">{}</span>\n    {}\n  </td>',
        pk_url("contacts:detail", c.pk), c.display_name,
        mark_safe('<span class="badge badge-info">Organisation</span>' if c.kind == "organisation" else ""),  # noqa: S308
        mark_safe(sub), tags))  # noqa: S308 (escaped above)
    if show_client:
        if c.client:
            cells.append(format_html('<td><a href="{}?client={}" title="All contacts of {}">{}</a></td>',
                                     list_url, c.client_id, c.client.name, c.client.name))
        else:
            cells.append('<td><span class="muted">No client</span></td>')
    email = (format_html('<a href="mailto:{}">{}</a>', c.email, c.email) if c.email
             else '<span class="muted">—</span>')
    phone = format_html('<span class="cell-sub">{}</span>', c.phone) if show_phone_inline and c.phone else ""
    cells.append(f"<td>{email}{phone}</td>")
    if not show_phone_inline:
        cells.append(format_html('<td class="nowrap">{}</td>', c.phone or c.mobile or "—"))
    cells.append(f'<td><span class="tag-list">{contact_badges(c)}{_roles(c)}</span></td>')
    cells.append(format_html('<td class="num">{}</td>\n  <td class="num">{}</td>', c.ticket_count, c.asset_count))
    actions = ""
    if can_edit:
        if c.client_id and not c.is_primary and c.is_active:
            actions += format_html(
                '\n    <form method="post" action="{}" style="display:inline">{}<input type="hidden" name="next" '
                'value="{}"><button class="btn btn-sm btn-ghost" type="submit">Make primary</button></form>',
                pk_url("contacts:make_primary", c.pk), csrf, here)
        actions += format_html('\n    <a class="btn btn-sm btn-ghost" href="{}?next={}">Edit</a>',
                               pk_url("contacts:edit", c.pk), next_q)
    cells.append(f'<td class="actions">{actions}</td>')
    return "<tr>\n  " + "\n  ".join(cells) + "\n</tr>\n"


@register.simple_tag(takes_context=True)
def contact_rows(context, rows, show_client=False, show_phone_inline=False, selectable=False) -> SafeString:
    request = context["request"]
    here = request.get_full_path()
    shared = {"list_url": reverse("contacts:list"), "here": here, "next_q": quote(here, safe="/"),
              "csrf": CsrfTokenNode().render(context),  # {% csrf_token %}, once per table
              "can_edit": "contact_edit" in context.get("perms_ops", ()), "show_client": show_client,
              "show_phone_inline": show_phone_inline, "selectable": bool(selectable)}
    return mark_safe("".join(_row(c, **shared) for c in rows))  # noqa: S308 (every value escaped in _row)
