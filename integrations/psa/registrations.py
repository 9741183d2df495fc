"""What the PSA integration puts on other apps' pages (registries of opsmerge/registry.py):
Settings → PSA, the client's PSA tab, the client list's "PSA" column (product + id,
linking to the tab) and filter, and an overview card."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

PSA_FILTER_CHOICES = (("linked", "Linked to a PSA"), ("unlinked", "Not linked"))


def psa_kind_subquery():
    from .models import CompanyLink

    return Subquery(CompanyLink.objects.filter(client=OuterRef("pk"), state=CompanyLink.State.LINKED)
                    .exclude(external_id="").order_by("id").values("connection__kind")[:1])


def render_psa(client):
    kind = getattr(client, "psa_kind", None)
    if not kind or not client.psa_id:
        return mark_safe('<span class="muted">—</span>')
    from .connectors import CONNECTORS

    label = CONNECTORS[kind].label if kind in CONNECTORS else kind
    short = label.removesuffix(" PSA")  # "ConnectWise", "Autotask", "HaloPSA": the column stays narrow
    return format_html('<a href="{}" title="{} id {}">{} <span class="mono">#{}</span></a>',
                       reverse("clients:psa", args=[client.pk]), label, client.psa_id, short, client.psa_id)


def filter_psa(queryset, value: str):
    if value not in dict(PSA_FILTER_CHOICES):
        return queryset
    if "psa_kind" not in queryset.query.annotations:
        queryset = queryset.alias(psa_kind=psa_kind_subquery())
    return queryset.filter(psa_kind__isnull=value == "unlinked")


def client_card(*, msp, obj) -> dict:
    from .selectors import client_links

    return {"psa_links": client_links(msp=msp, client=obj)}


def register() -> None:
    from opsmerge.registry import (
        ClientTab,
        ListColumn,
        ListFilter,
        RelatedCount,
        SettingsPage,
        client_tabs,
        list_columns,
        list_filters,
        related_counts,
        settings_pages,
    )

    settings_pages.register(SettingsPage(
        "psa", "PSA", "settings:psa", urls=_urls,
        description="Sync companies, contacts and tickets with ConnectWise PSA, Autotask or HaloPSA."))
    client_tabs.register(ClientTab("psa", "PSA", "clients:psa", view="integrations.psa.views.ClientPsaView",
                                   route="psa"), before="activity")
    related_counts.register(RelatedCount("clients.Client", "psa_kind", psa_kind_subquery, on_list=True))
    list_columns.register(ListColumn("clients", "psa", "PSA", render_psa, sort=("psa_id",), td_css="nowrap",
                                     before="activity"))
    list_filters.register(ListFilter("clients", "psa", "PSA", PSA_FILTER_CHOICES, filter_psa))


def _urls():
    from .views import urls

    return urls()
