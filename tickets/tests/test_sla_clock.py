"""tickets.sla.clock: worked examples (DST, overnight, holidays, out of hours) and
hypothesis properties. Pure Python: no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tickets.sla.clock import BusinessCalendar, to_us

T = dt.time
H = dt.timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [(d, T(9), T(17)) for d in range(5)]


def local(tz, *args):
    return dt.datetime(*args, tzinfo=tz)


def test_within_one_day():
    cal = BusinessCalendar("Europe/London", WEEKDAYS_9_TO_5)
    assert cal.add(local(LONDON, 2026, 3, 2, 10), 4 * H) == local(LONDON, 2026, 3, 2, 14)


def test_rolls_over_the_night_and_the_weekend():
    cal = BusinessCalendar("Europe/London", WEEKDAYS_9_TO_5)
    # Friday 15:00 + 4h = 2h Friday, 2h Monday.
    assert cal.add(local(LONDON, 2026, 3, 6, 15), 4 * H) == local(LONDON, 2026, 3, 9, 11)


def test_opened_out_of_hours_starts_at_next_opening():
    cal = BusinessCalendar("America/New_York", WEEKDAYS_9_TO_5)
    saturday_night = local(NY, 2026, 3, 7, 23, 30)
    assert cal.add(saturday_night, H) == local(NY, 2026, 3, 9, 10)
    assert cal.add(saturday_night, dt.timedelta(0)) == local(NY, 2026, 3, 9, 9)
    assert cal.between(saturday_night, local(NY, 2026, 3, 9, 9)) == dt.timedelta(0)


def test_due_at_closing_time_not_next_morning():
    cal = BusinessCalendar("Europe/London", WEEKDAYS_9_TO_5)
    assert cal.add(local(LONDON, 2026, 3, 2, 9), 8 * H) == local(LONDON, 2026, 3, 2, 17)


def test_spring_forward_day_is_still_eight_real_hours():
    cal = BusinessCalendar("Europe/London", [(d, T(0), T(23, 59)) for d in range(7)])
    # 29 March 2026: clocks go 01:00 -> 02:00 in London; that day has 23 real hours.
    start = local(LONDON, 2026, 3, 29, 0)
    assert cal.between(start, local(LONDON, 2026, 3, 30, 0)) == 23 * H
    office = BusinessCalendar("Europe/London", [*WEEKDAYS_9_TO_5, (6, T(0), T(4))])
    # Sunday 00:00–04:00 local spans the change: 3 real hours.
    assert office.between(start, local(LONDON, 2026, 3, 29, 5)) == 3 * H


def test_fall_back_day_has_25_hours():
    cal = BusinessCalendar("Europe/London", [(d, T(0), T(23, 59)) for d in range(7)])
    start = local(LONDON, 2026, 10, 25, 0)
    assert cal.between(start, local(LONDON, 2026, 10, 26, 0)) == 25 * H


def test_overnight_shift_as_two_intervals_runs_through_midnight():
    cal = BusinessCalendar("Europe/London", [(0, T(22), T(23, 59)), (1, T(0), T(6))])
    monday_23 = local(LONDON, 2026, 3, 2, 23)
    assert cal.add(monday_23, 2 * H) == local(LONDON, 2026, 3, 3, 1)
    assert cal.between(local(LONDON, 2026, 3, 2, 12), local(LONDON, 2026, 3, 3, 12)) == 8 * H


def test_holiday_is_skipped():
    cal = BusinessCalendar("Europe/London", WEEKDAYS_9_TO_5, holidays=[dt.date(2026, 12, 25)])
    # Thursday 24 Dec 16:00 + 2h: 1h Thursday, Friday is a holiday, 1h Monday 28th.
    assert cal.add(local(LONDON, 2026, 12, 24, 16), 2 * H) == local(LONDON, 2026, 12, 28, 10)


def test_lunch_break():
    cal = BusinessCalendar("UTC", [(0, T(9), T(12)), (0, T(13), T(17))])
    assert cal.add(dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC), 2 * H) == dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC)


def test_no_hours_means_around_the_clock():
    cal = BusinessCalendar("Asia/Tokyo")
    start = dt.datetime(2026, 3, 7, 3, tzinfo=dt.UTC)
    assert cal.add(start, 30 * H) == start + 30 * H


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", WEEKDAYS_9_TO_5).add(dt.datetime(2026, 1, 1), H)


def test_result_keeps_the_callers_time_zone():
    cal = BusinessCalendar("Europe/London", WEEKDAYS_9_TO_5)
    due = cal.add(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), H)
    assert due.tzinfo is dt.UTC and due == dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


# ------------------------------------------------------------------ properties

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]
instants = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31),
                        timezones=st.just(dt.UTC))
durations = st.integers(min_value=1, max_value=60 * 24 * 20).map(lambda m: dt.timedelta(minutes=m))


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    intervals = []
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=24 * 4), max_size=4)))
        for opens, closes in zip(cuts[::2], cuts[1::2], strict=False):
            intervals.append((weekday, _quarter(opens), _quarter(closes)))
    assume(intervals)
    holidays = draw(st.sets(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2029, 6, 30)), max_size=30))
    return BusinessCalendar(zone, intervals, holidays)


def _quarter(n: int) -> dt.time:
    return dt.time(23, 59) if n >= 96 else dt.time(n // 4, n % 4 * 15)


def _in_hours_on_a_working_day(cal: BusinessCalendar, moment: dt.datetime) -> bool:
    """`moment` lies inside one of the calendar's intervals of a non-holiday local date
    (the date the interval belongs to: an interval to midnight ends on the next date)."""
    for back in (0, 1):
        day = moment.astimezone(cal.tz).date() - dt.timedelta(days=back)
        if day not in cal.holidays and any(s <= to_us(moment) < e for s, e in cal._day_intervals(day)):
            return True
    return False


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, durations)
def test_add_then_measure_round_trips(cal, start, duration):
    due = cal.add(start, duration)
    assert due > start
    assert cal.between(start, due) == duration


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, durations, durations)
def test_monotonic_in_duration(cal, start, d1, d2):
    shorter, longer = sorted([d1, d2])
    assert cal.add(start, shorter) <= cal.add(start, longer)
    if shorter < longer:
        assert cal.add(start, shorter) < cal.add(start, longer)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, durations)
def test_due_is_the_end_of_business_time_on_a_working_day(cal, start, duration):
    due = cal.add(start, duration)
    just_before = due - dt.timedelta(microseconds=1)
    assert _in_hours_on_a_working_day(cal, just_before)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants)
def test_clock_starts_at_next_opening(cal, start):
    opening = cal.next_open(start)
    assert opening >= start
    assert cal.between(start, opening) == dt.timedelta(0)
    assert cal.is_open(opening)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, instants, instants)
def test_between_is_additive(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)
    assert cal.between(a, c) <= c - a


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants, durations)
def test_every_day_all_day_equals_wall_clock(zone, start, duration):
    cal = BusinessCalendar(zone, [(d, T(0), T(23, 59)) for d in range(7)])
    assert cal.add(start, duration) == start + duration
    assert cal.between(start, start + duration) == duration


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, st.integers(min_value=1, max_value=60 * 24 * 5))
def test_pause_pushes_due_by_the_business_time_paused(cal, start, duration, pause_minutes):
    """A pause from p to p + x (inside the clock) moves the due time by exactly the
    business time paused: add(start, d + between(p, p + x))."""
    due = cal.add(start, duration)
    paused_at = start + (due - start) / 2
    resumed_at = paused_at + dt.timedelta(minutes=pause_minutes)
    paused = cal.between(paused_at, resumed_at)
    pushed = cal.add(start, duration + paused)
    worked = cal.between(start, paused_at) + cal.between(resumed_at, max(pushed, resumed_at))
    assert pushed >= due
    if pushed > resumed_at:
        assert worked == duration
