"""Rows of the contacts tables outside the flat list: the grouped-by-client view and a
client's Contacts tab. `{% contact_rows rows show_client=… show_phone_inline=… selectable=… %}`
renders every <tr> with contacts.tables.ContactTable, like the flat list.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from contacts.tables import ContactTable
from contacts.tables import contact_badges as _contact_badges

register = template.Library()


@register.simple_tag
def contact_badges(c) -> SafeString:
    """Active / Inactive / Pending setup, and VIP."""
    return _contact_badges(c)


@register.simple_tag(takes_context=True)
def contact_rows(context, rows, show_client=False, show_phone_inline=False, selectable=False) -> SafeString:
    return ContactTable(rows, request=context["request"], perms=context.get("perms_ops", ()),
                        show_client=show_client, phone_inline=show_phone_inline, selectable=bool(selectable)).body
