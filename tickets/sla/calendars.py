"""The business calendar of a ticket: its site's hours and holidays when the site has
its own hours, else its client's; in the site's time zone, else the client's
(issue 17). Loaded for many (client, site) pairs in two queries; pairs that compute
the same clock share one BusinessCalendar (and its interval arrays)."""

from __future__ import annotations

from collections import defaultdict

from clients.models import BusinessHours, Holiday

from .clock import BusinessCalendar

Pair = tuple[int, int | None]  # (client_id, site_id)


def calendars_for(*, msp, zones: dict[Pair, str]) -> dict[Pair, BusinessCalendar]:
    """{(client_id, site_id): calendar} for the pairs of `zones` ({pair: IANA zone})."""
    client_ids = {client for client, _site in zones}
    hours: dict[Pair, list] = defaultdict(list)
    holidays: dict[Pair, list] = defaultdict(list)
    for client, site, weekday, opens, closes in (BusinessHours.objects.filter(msp=msp, client_id__in=client_ids)
                                                 .values_list("client_id", "site_id", "weekday", "opens_at",
                                                              "closes_at")):
        hours[(client, site)].append((weekday, opens, closes))
    for client, site, day in Holiday.objects.filter(msp=msp, client_id__in=client_ids).values_list(
            "client_id", "site_id", "date"):
        holidays[(client, site)].append(day)
    shared: dict[tuple, BusinessCalendar] = {}
    out = {}
    for (client, site), zone in zones.items():
        own = (client, site) if site is not None and (client, site) in hours else (client, None)
        calendar = BusinessCalendar(zone, hours.get(own, ()), holidays.get(own, ()))
        out[(client, site)] = shared.setdefault(calendar.key, calendar)
    return out


def calendar_for_ticket(*, msp, ticket) -> BusinessCalendar:
    """One ticket's calendar (its client and site must be loaded); 24×7 in UTC without a client."""
    if ticket.client_id is None:
        return BusinessCalendar("UTC")
    zone = (ticket.site.time_zone if ticket.site_id and ticket.site else "") or ticket.client.time_zone
    return calendars_for(msp=msp, zones={(ticket.client_id, ticket.site_id): zone})[(ticket.client_id, ticket.site_id)]


def zone_of(client_zone: str | None, site_zone: str | None) -> str:
    return site_zone or client_zone or "UTC"

