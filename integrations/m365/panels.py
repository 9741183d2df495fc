"""What the Microsoft 365 integration adds to the client pages (opsmerge.registry):
the customer list's Tenants / Total Users / Health columns and Health filter (seed 001),
the overview's figures (health, users, licences, Secure Score) and its Microsoft 365
card, and the connected-tenant gate of a permanent delete."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import mark_safe

from opsmerge.tables import DASH

from .health import HEALTH_CHOICES, HEALTH_LABELS, PARTS, RANK_OF, client_health_rank, reasons, status_of, with_health
from .models import M365Tenant

PART_LABELS = {p.key: p.label for p in PARTS}


# ---------------------------------------------------------------- the customer list


def render_tenant_count(client):
    n = client.m365_tenant_count
    return n if n else mark_safe('<span class="muted">0</span>')


def render_licensed_users(client):
    return format_html("{}", f"{client.m365_licensed_users:,}") if client.m365_tenant_count else DASH


def render_health(client):
    status = status_of(client.m365_health_rank)
    if status == "no_tenants":
        return mark_safe('<span class="muted">No tenants</span>')
    return health_badge(status)


def health_badge(status: str):
    css = {"healthy": "badge-success", "attention": "badge-warning", "critical": "badge-danger"}.get(status,
                                                                                                  "badge-neutral")
    return format_html('<span class="badge badge-dot {}">{}</span>', css, HEALTH_LABELS.get(status, status))


def filter_health(queryset, value: str):
    if value not in RANK_OF:
        return queryset
    if "m365_health_rank" not in queryset.query.annotations:
        queryset = queryset.alias(m365_health_rank=client_health_rank())
    return queryset.filter(m365_health_rank=RANK_OF[value])


HEALTH_FILTER_CHOICES = tuple(HEALTH_CHOICES)


# ---------------------------------------------------------------- the client overview


def client_tenants(*, msp, obj) -> dict:
    """The client's tenants with their health, read once per page (the figures and
    the card share them), and the customer-wide sums."""
    if not hasattr(obj, "_m365_context"):
        tenants = list(with_health(M365Tenant.objects.filter(msp=msp, client=obj)).order_by("display_name", "pk"))
        for t in tenants:
            t.health_status = status_of(t.health_rank)
            t.health_reasons = reasons(t)
            t.missing = [(PART_LABELS[k], perm) for k, perm in (t.health_missing or {}).items()]
            t.trend_svg = trend_svg(t.secure_score_trend)
        worst = max((t.health_rank for t in tenants), default=0)
        licences: dict[str, dict] = {}
        for t in tenants:
            for sku in t.licences or []:
                row = licences.setdefault(sku["sku"], {"name": sku["name"], "consumed": 0, "prepaid": 0,
                                                        "warning": 0, "suspended": 0, "free": sku.get("free")})
                for key in ("consumed", "prepaid", "warning", "suspended"):
                    row[key] += int(sku.get(key) or 0)
        for row in licences.values():
            row["over"] = row["consumed"] > row["prepaid"] + row["warning"]
            row["pct"] = min(100, round(100 * row["consumed"] / row["prepaid"])) if row["prepaid"] else 100
        read = [t for t in tenants if t.health_refreshed_at]
        scored = [t for t in tenants if t.secure_score_pct is not None]
        mfa = [t for t in tenants if t.mfa_users]
        obj._m365_context = {
            "tenants": tenants,
            "health_status": status_of(worst),
            "health_read": bool(read),
            "licensed_users": sum(t.licensed_users or 0 for t in tenants),
            "users_missing": [t for t in tenants if "users" in (t.health_missing or {})],
            "licences": sorted(licences.values(), key=lambda r: (-r["consumed"], r["name"])),
            "licences_bought": sum(r["prepaid"] for r in licences.values() if not r["free"]),
            "licences_assigned": sum(r["consumed"] for r in licences.values() if not r["free"]),
            "licences_paid": sum(1 for r in licences.values() if not r["free"]),
            "lowest_score": min(scored, key=lambda t: t.secure_score_pct) if scored else None,
            "score_missing": [t for t in tenants if "secure_score" in (t.health_missing or {})],
            "mfa_pct": round(100 * sum(t.mfa_registered for t in mfa) / sum(t.mfa_users for t in mfa)) if mfa else None,
        }
    return obj._m365_context


def trend_svg(points, *, width: int = 260, height: int = 64, threshold: float = 40.0):
    """A small server-side SVG line of Secure Score percentages ([[date, pct]], oldest
    first), with the red threshold as a dashed line. No JavaScript, no CDN."""
    if not points or len(points) < 2:
        return ""
    values = [float(p[1]) for p in points]
    low = max(0.0, min(min(values), threshold) - 5)
    high = min(100.0, max(values) + 5)
    span = (high - low) or 1.0
    pad = 4

    def xy(i, v):
        x = pad + i * (width - 2 * pad) / (len(values) - 1)
        y = pad + (high - v) * (height - 2 * pad) / span
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(i, v) for i, v in enumerate(values))
    area = f"{pad},{height - pad} {line} {width - pad},{height - pad}"
    last_x, last_y = xy(len(values) - 1, values[-1]).split(",")
    ty = f"{pad + (high - threshold) * (height - 2 * pad) / span:.1f}"
    title = f"Secure Score {values[0]:.0f}% → {values[-1]:.0f}% over {len(values)} snapshots ({points[0][0]} – {points[-1][0]})"
    return format_html(
        '<svg class="trend" viewBox="0 0 {w} {h}" width="100%" height="{h}" role="img" aria-label="{t}">'
        "<title>{t}</title>"
        '<polygon points="{area}" class="trend-area"/>'
        '<line x1="{p}" x2="{wp}" y1="{ty}" y2="{ty}" class="trend-threshold"/>'
        '<polyline points="{line}" class="trend-line"/>'
        '<circle cx="{lx}" cy="{ly}" r="3" class="trend-dot"/></svg>',
        w=width, h=height, t=title, p=pad, wp=width - pad, ty=ty, area=area, line=line, lx=last_x, ly=last_y)


def connected_tenants_gate(*, msp, client) -> str:
    connected = M365Tenant.objects.filter(msp=msp, client=client).exclude(
        consent_state__in=[M365Tenant.ConsentState.DISCONNECTED, M365Tenant.ConsentState.PENDING]).count()
    return f"{connected} Microsoft 365 tenant(s) are still connected: disconnect them first." if connected else ""
