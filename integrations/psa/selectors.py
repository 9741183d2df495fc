"""Reads of the PSA integration (pages, panels, the client list column)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from clients.models import Client

from .connectors import choices
from .models import CompanyLink, Conflict, ContactLink, PsaConnection, PsaSyncRun, TicketLink


def not_linked(queryset, *, connection, link_model, field: str):
    """The rows of `queryset` no `link_model` row of `connection` points at (by `field`).
    An explicit NOT EXISTS paired on msp_id: exclude() across the reverse relation
    correlates on the id alone, a join Citus cannot keep on one shard."""
    links = link_model.objects.filter(msp_id=OuterRef("msp_id"), connection=connection, **{field: OuterRef("pk")})
    return queryset.exclude(Exists(links))


def link_ids(*, msp, connection, state: str) -> list[int]:
    return list(CompanyLink.objects.filter(msp=msp, connection=connection, state=state).values_list("pk", flat=True))


def review_links(*, msp, connection, state: str):
    """The review page's companies in one state, with their (suggested) clients."""
    return (CompanyLink.objects.filter(msp=msp, connection=connection, state=state)
            .select_related("client", "suggested_client").order_by("name", "id"))


def unlinked_clients(*, msp, connection):
    """Clients not archived that no company of `connection` is linked to (to link or push)."""
    return not_linked(Client.objects.filter(msp=msp).not_archived(), connection=connection,
                      link_model=CompanyLink, field="client").order_by("name")


def open_conflicts(*, msp, connection):
    return (Conflict.objects.filter(msp=msp, connection=connection, state=Conflict.State.OPEN)
            .select_related("company__client", "contact__contact").order_by("-created_at", "-id"))


def client_tab(*, msp, client) -> dict:
    """The client's PSA tab: its companies, how many contacts are linked, its latest
    PSA tickets and open conflicts."""
    return {
        "links": client_links(msp=msp, client=client),
        "contact_count": ContactLink.objects.filter(msp=msp, company__client=client).exclude(external_id="").count(),
        "tickets": list(TicketLink.objects.filter(msp=msp, ticket__client=client)
                        .select_related("ticket", "connection").order_by("-created_at")[:20]),
        "conflicts": list(Conflict.objects.filter(msp=msp, company__client=client, state=Conflict.State.OPEN)
                          .select_related("connection")),
    }


def connection_get(*, msp, pk) -> PsaConnection:
    from opsmerge.tenancy import msp_get_or_404

    return msp_get_or_404(PsaConnection.objects.all(), msp=msp, pk=pk)


def connection_cards(*, msp) -> list[dict]:
    """Every registered product, with the MSP's connection to it (or None)."""
    connections = {c.kind: c for c in PsaConnection.objects.filter(msp=msp).annotate(
        open_conflicts=Count("conflicts", filter=Q(conflicts__state=Conflict.State.OPEN), distinct=True),
        suggested=Count("companies", filter=Q(companies__state=CompanyLink.State.SUGGESTED), distinct=True))}
    last_runs = {}
    for run in PsaSyncRun.objects.filter(msp=msp, connection__in=list(connections.values())).order_by(
            "connection_id", "-created_at").distinct("connection_id"):
        last_runs[run.connection_id] = run
    return [{"kind": kind, "label": label, "connection": connections.get(kind),
             "run": last_runs.get(getattr(connections.get(kind), "pk", None))} for kind, label in choices()]


def review_counts(*, msp, connection) -> dict[str, int]:
    rows = CompanyLink.objects.filter(msp=msp, connection=connection).values("state").annotate(n=Count("id"))
    return {r["state"]: r["n"] for r in rows}


def client_links(*, msp, client) -> list[CompanyLink]:
    return list(CompanyLink.objects.filter(msp=msp, client=client).select_related("connection"))
