"""Business hours and holidays of a client, or of one site overriding the client."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import BusinessHours, Client, Holiday
from .signals import client_calendar_changed


@transaction.atomic
def business_hours_set(
    *,
    msp,
    client: Client,
    site=None,
    intervals: Iterable[tuple[int, datetime.time, datetime.time]],
    holidays: Iterable[tuple[datetime.date, str]] = (),
) -> None:
    """Replace the weekly intervals (weekday 0=Monday, opens, closes) and holidays of
    the client (site=None) or of one of its sites."""
    if client.msp_id != msp.pk or (site is not None and site.client_id != client.pk):
        raise ValidationError("Unknown client or site.")
    rows = []
    for weekday, opens, closes in intervals:
        if not 0 <= int(weekday) <= 6:
            raise ValidationError({"business_hours": f"Unknown weekday {weekday}."})
        if closes <= opens:
            raise ValidationError({"business_hours": f"{BusinessHours.Weekday(int(weekday)).label}: "
                                                     f"closing time must be after opening time."})
        rows.append(BusinessHours(msp=msp, client=client, site=site, weekday=int(weekday),
                                  opens_at=opens, closes_at=closes))
    by_day: dict[int, list[BusinessHours]] = {}
    for row in sorted(rows, key=lambda r: (r.weekday, r.opens_at)):
        previous = by_day.setdefault(row.weekday, [])
        if previous and previous[-1].closes_at > row.opens_at:
            raise ValidationError({"business_hours": f"{row.get_weekday_display()}: intervals overlap."})
        previous.append(row)
    before = _calendar_rows(msp=msp, client=client, site=site)
    BusinessHours.objects.filter(msp=msp, client=client, site=site).delete()
    BusinessHours.objects.bulk_create(rows)
    Holiday.objects.filter(msp=msp, client=client, site=site).delete()
    seen = set()
    holiday_rows = []
    for day, name in holidays:
        if day in seen:
            raise ValidationError({"holidays": f"{day.isoformat()} is listed twice."})
        seen.add(day)
        holiday_rows.append(Holiday(msp=msp, client=client, site=site, date=day, name=(name or "Holiday")[:100]))
    Holiday.objects.bulk_create(holiday_rows)
    if _calendar_rows(msp=msp, client=client, site=site) != before:
        calendar_changed(msp=msp, client=client)


def _calendar_rows(*, msp, client: Client, site) -> tuple[set, set]:
    return (set(BusinessHours.objects.filter(msp=msp, client=client, site=site)
                .values_list("weekday", "opens_at", "closes_at")),
            set(Holiday.objects.filter(msp=msp, client=client, site=site).values_list("date", flat=True)))


def calendar_changed(*, msp, client: Client) -> None:
    """Tell the apps above (SLA clocks) once the change is committed."""
    transaction.on_commit(lambda: client_calendar_changed.send(sender=Client, msp=msp, client=client))


def business_hours_for(*, msp, client: Client, site=None) -> tuple[list[BusinessHours], list[Holiday]]:
    """Effective hours: the site's own rows if it has any, else the client's."""
    if site is not None:
        hours = list(BusinessHours.objects.filter(msp=msp, client=client, site=site))
        if hours:
            return hours, list(Holiday.objects.filter(msp=msp, client=client, site=site))
    return (list(BusinessHours.objects.filter(msp=msp, client=client, site=None)),
            list(Holiday.objects.filter(msp=msp, client=client, site=None)))
