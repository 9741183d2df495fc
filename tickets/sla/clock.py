"""Business-time arithmetic for SLA clocks: pure Python, no Django, no database.

A `BusinessCalendar` is a client's (or site's) weekly opening intervals in one IANA
time zone, minus holiday dates. It answers two questions exactly, across DST changes
and holidays:

- `add(start, duration)`: the earliest instant by which `duration` of business time
  has elapsed since `start` (a due time). Started out of hours, the clock runs from
  the next opening.
- `between(a, b)`: the business time elapsed from `a` to `b` (0 when b <= a).

How it works: local intervals are turned into UTC instants day by day (zoneinfo does
DST: a 09:00–17:00 day is 8 real hours on every day, and the interval around a
transition is as long as it really is), kept in sorted arrays with the running total of
business microseconds at each interval's start. An instant maps to "business
microseconds since the calendar's origin" by bisecting the starts, and back by
bisecting the running totals, so any number of due times costs O(log n) each once the
arrays exist — the set-based recompute (tickets.sla.recompute) reuses one calendar for
every ticket that shares it.

Rules (docs/tickets.md "SLA"):
- An interval closing at 23:59 or later runs to midnight, so a day can be open
  around the clock and an overnight shift is two rows (Mon 22:00–23:59, Tue 00:00–06:00);
  touching intervals merge, so the clock runs through midnight.
- A holiday is a local date: every interval of that weekday is skipped (the second
  half of an overnight shift belongs to the next date and follows that date's rule).
- No weekly intervals at all means around the clock (no hours known: 24×7).
- Local times that do not exist (the hour skipped in spring) are read with the
  offset before the change, as zoneinfo does with fold=0.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MICRO = dt.timedelta(microseconds=1)
END_OF_DAY = dt.time(23, 59)
# Business time per week is at least a minute, so this covers any target up to years;
# past it the calendar has no business time left (e.g. every future day a holiday).
MAX_DAYS = 366 * 20

Interval = tuple[int, dt.time, dt.time]  # weekday (0 = Monday), opens, closes


def to_us(moment: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: SLA clocks need aware datetimes")
    return (moment - EPOCH) // MICRO


def from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


class NoBusinessTime(ValueError):
    """The calendar has no business time left after the given instant."""


class BusinessCalendar:
    """Weekly intervals in `time_zone` minus `holidays`; see the module docstring."""

    def __init__(self, time_zone: str, intervals: Iterable[Interval] = (), holidays: Iterable[dt.date] = ()):
        self.time_zone = time_zone
        self.tz = ZoneInfo(time_zone)
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {d: [] for d in range(7)}
        for weekday, opens, closes in intervals:
            weekly[int(weekday)].append((opens, closes))
        self.around_the_clock = not any(weekly.values())
        self.weekly = {d: sorted(v) for d, v in weekly.items()}
        self.holidays = frozenset(holidays)
        # Sorted, disjoint, non-touching UTC intervals [starts[i], ends[i]) in µs and the
        # business µs elapsed before each start (cum[i]); built lazily from _first to _last.
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = []
        self._first: dt.date | None = None
        self._last: dt.date | None = None
        self._safe = (0, -1)  # µs range inside which _cover has nothing to do

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> BusinessCalendar:
        return cls(time_zone)

    @property
    def key(self) -> tuple:
        """Equal for calendars that compute the same clock (used to share one)."""
        if self.around_the_clock:
            return ("24x7",)
        return (self.time_zone, tuple((d, tuple(v)) for d, v in self.weekly.items()), self.holidays)

    # ------------------------------------------------------------ interval arrays

    def _day_intervals(self, day: dt.date) -> list[tuple[int, int]]:
        if day in self.holidays:
            return []
        out = []
        for opens, closes in self.weekly[day.weekday()]:
            start = to_us(dt.datetime.combine(day, opens, tzinfo=self.tz))
            if closes >= END_OF_DAY:
                end = to_us(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz))
            else:
                end = to_us(dt.datetime.combine(day, closes, tzinfo=self.tz))
            if end > start:
                out.append((start, end))
        return out

    def _build(self, first: dt.date, last: dt.date) -> None:
        starts, ends, cum = [], [], []
        total = 0
        day = first
        while day <= last:
            for start, end in self._day_intervals(day):
                if ends and start <= ends[-1]:  # touching or (after a DST fold) overlapping: merge
                    if end > ends[-1]:
                        total += end - ends[-1]
                        ends[-1] = end
                    continue
                starts.append(start)
                ends.append(end)
                cum.append(total)
                total += end - start
            day += dt.timedelta(days=1)
        self._starts, self._ends, self._cum = starts, ends, cum
        self._first, self._last = first, last
        # Two days inside either end, whatever the zone's offset.
        self._safe = (to_us(dt.datetime.combine(first + dt.timedelta(days=2), dt.time(), tzinfo=UTC)),
                      to_us(dt.datetime.combine(last - dt.timedelta(days=1), dt.time(), tzinfo=UTC)))

    def _local_date(self, us: int) -> dt.date:
        return from_us(us).astimezone(self.tz).date()

    def _cover(self, us: int) -> None:
        """Make the arrays span instant `us` with a day of margin either side."""
        if self._safe[0] <= us <= self._safe[1]:
            return
        day = self._local_date(us)
        first, last = self._first, self._last
        if first is not None and first < day - dt.timedelta(days=1) and day + dt.timedelta(days=1) < last:
            return
        margin = dt.timedelta(days=2)
        if first is None:
            self._build(day - margin, day + dt.timedelta(days=14))
            return
        # Grow geometrically (either way) so repeated extension stays cheap.
        span = dt.timedelta(days=max(14, (last - first).days))
        lo = min(first - span, day - margin) if day - margin < first else first
        hi = max(last + span, day + margin) if day + margin > last else last
        self._build(lo, hi)

    def cover(self, a: dt.datetime, b: dt.datetime) -> None:
        """Build the arrays for [a, b] at once (the recompute calls this before a batch)."""
        if not self.around_the_clock:
            self._build(a.astimezone(self.tz).date() - dt.timedelta(days=2),
                        b.astimezone(self.tz).date() + dt.timedelta(days=14))

    def _cover_business(self, target: int) -> None:
        """Extend forward until the running total reaches `target` business µs."""
        while not self._cum or self._cum[-1] + self._ends[-1] - self._starts[-1] < target:
            if self._last is not None and self._first is not None and (self._last - self._first).days > MAX_DAYS:
                raise NoBusinessTime("no business hours in this calendar for the time asked")
            span = max(14, (self._last - self._first).days)
            self._build(self._first, self._last + dt.timedelta(days=span))

    # ------------------------------------------------------------ the two questions

    def business_us(self, us: int) -> int:
        """Business µs from the calendar's origin to instant `us` (arrays must cover it)."""
        i = bisect_right(self._starts, us) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(us, self._ends[i]) - self._starts[i]

    def instant_us(self, business: int) -> int:
        """The earliest instant at which `business` µs have elapsed (arrays must cover it)."""
        i = bisect_left(self._cum, business) - 1
        # cum[i] < business <= cum[i] + length[i] once the arrays reach it.
        i = max(i, 0)
        return self._starts[i] + (business - self._cum[i])

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The due time: `duration` of business time after `start`. A zero duration
        gives `start` itself when in hours, else the next opening."""
        if duration < dt.timedelta(0):
            raise ValueError("negative duration")
        if self.around_the_clock:
            return start + duration
        return from_us(self.add_us(to_us(start), duration // MICRO)).astimezone(start.tzinfo)

    def add_us(self, start: int, duration: int) -> int:
        if self.around_the_clock:
            return start + duration
        self._cover(start)
        target = self.business_us(start) + duration
        if duration == 0:
            return self.next_open_us(start)
        self._cover_business(target)
        return self.instant_us(target)

    def next_open_us(self, us: int) -> int:
        """`us` when in business hours, else the next opening."""
        if self.around_the_clock:
            return us
        self._cover(us)
        i = bisect_right(self._starts, us) - 1
        if i >= 0 and us < self._ends[i]:
            return us
        while i + 1 >= len(self._starts):
            self._cover_business(self._cum[-1] + self._ends[-1] - self._starts[-1] + 1 if self._cum else 1)
        return self._starts[i + 1]

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Business time elapsed from `a` to `b`; zero when `b` is not after `a`."""
        return dt.timedelta(microseconds=self.between_us(to_us(a), to_us(b)))

    def between_us(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self.around_the_clock:
            return b - a
        self._cover(a)
        self._cover(b)
        return self.business_us(b) - self.business_us(a)

    def is_open(self, moment: dt.datetime) -> bool:
        us = to_us(moment)
        return self.next_open_us(us) == us

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        return from_us(self.next_open_us(to_us(moment))).astimezone(moment.tzinfo)


@lru_cache(maxsize=64)
def twenty_four_seven() -> BusinessCalendar:
    return BusinessCalendar.twenty_four_seven()
