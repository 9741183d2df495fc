"""Template helpers of the design system (docs/ui.md)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from opsmerge import registry
from opsmerge.files import version_token
from opsmerge.nav import nav_for

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_items(context):
    request = context.get("request")
    return nav_for(request, context.get("perms_ops", frozenset())) if request else []


@register.simple_tag(takes_context=True)
def sort_header(context, label: str, key: str, css: str = ""):
    """A <th> whose link toggles `?sort=key` / `?sort=-key`, keeping other params and
    dropping the page number. Only keys the view whitelists have any effect."""
    request = context["request"]
    current = request.GET.get("sort", "") or context.get("default_sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    descending = current == key
    params["sort"] = f"-{key}" if descending else key
    arrow = ""
    if current.lstrip("-") == key:
        arrow = " ↓" if current.startswith("-") else " ↑"
    return format_html(
        '<th class="{}"><a href="?{}" class="{}">{}{}</a></th>',
        css, params.urlencode(), "is-sorted" if arrow else "", label, arrow,
    )


@register.filter
def url(obj) -> str:
    """{{ obj|url }}: the object's detail page (opsmerge.links.object_url)."""
    from opsmerge.links import object_url

    return object_url(obj)


@register.filter
def file_version(fieldfile) -> str:
    """`?v=` token of a stored file, for cacheable file URLs (opsmerge.files)."""
    return version_token(fieldfile) if fieldfile else ""


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


_STATUS_BADGES = {
    "active": "badge-success", "lead": "badge-info", "archived": "badge-neutral",
    "connected": "badge-success", "pending": "badge-warning", "reconnect_required": "badge-danger",
    "disconnected": "badge-neutral", "draft": "badge-neutral", "expired": "badge-warning", "cancelled": "badge-neutral",
    "new": "badge-info", "open": "badge-accent", "waiting": "badge-warning", "resolved": "badge-success",
    "closed": "badge-neutral", "sent": "badge-info", "paid": "badge-success", "void": "badge-neutral",
    "queued": "badge-info", "running": "badge-info", "done": "badge-success", "failed": "badge-danger",
    "undone": "badge-neutral", "none": "badge-neutral",
    "healthy": "badge-success", "attention": "badge-warning", "critical": "badge-danger", "no_tenants": "badge-neutral",
}


@register.filter
def status_badge(value) -> str:
    """CSS modifier for a status value: {{ obj.status|status_badge }}."""
    return _STATUS_BADGES.get(str(value or "none").lower(), "badge-neutral")


@register.filter
def change_pair(value):
    """[old, new] of an audit diff, else None (snapshots store plain values)."""
    if isinstance(value, list) and len(value) == 2:
        return value
    return None


@register.filter
def cf_display(value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "" if value is None else str(value)


@register.filter
def filesize(value) -> str:
    size = float(value or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@register.inclusion_tag("includes/field.html")
def field(bound_field, css: str = "", help_text: str = ""):
    """One form field in the design system's markup (label, control, help, errors)."""
    return {"f": bound_field, "css": css, "help": help_text or bound_field.help_text}


@register.simple_tag(takes_context=True)
def client_tabs(context, client):
    """The tabs of a client page (opsmerge.registry.client_tabs) with their URLs."""
    perms_ops = context.get("perms_ops", frozenset())
    tabs = []
    for tab in registry.client_tabs:
        if tab.op not in perms_ops:
            continue
        try:
            url = reverse(tab.url_name, kwargs={tab.kwarg: client.pk})
        except NoReverseMatch:
            continue
        tabs.append({"key": tab.key, "label": tab.label, "url": url})
    return tabs


@register.simple_tag(takes_context=True)
def detail_panels(context, obj, slot: str = "main"):
    """The cards other apps registered for `obj`'s page (opsmerge.registry.panels) in
    `slot`, each rendered from its template with the page's context plus its own."""
    perms_ops = context.get("perms_ops", frozenset())
    request = context.get("request")
    msp = getattr(request, "msp", None)
    label = obj._meta.label
    html = []
    for panel in registry.panels:
        if panel.model != label or panel.slot != slot or panel.op not in perms_ops:
            continue
        template = context.template.engine.get_template(panel.template)
        with context.push(**(panel.context(msp=msp, obj=obj) if panel.context else {})):
            html.append(template.render(context))
    return mark_safe("".join(html))  # noqa: S308 - each part is a rendered (autoescaped) template


_PK_SENTINEL = 918273645546372819


@lru_cache(maxsize=512)
def _pk_url_parts(view_name: str, urlconf, prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(view_name, args=[_PK_SENTINEL], urlconf=urlconf).partition(str(_PK_SENTINEL))
    return head, tail


@register.simple_tag
def pk_url(view_name: str, pk) -> str:
    """{% pk_url 'contacts:detail' c.pk %}: `{% url %}` for a route whose one argument is
    an integer pk, for rows of long lists. The route is reversed once (per URLconf and
    script prefix), then only the pk is put in, instead of a full reverse() per row."""
    head, tail = _pk_url_parts(view_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return f"{head}{int(pk)}{tail}"
