"""A plan's periods and what makes one covered. Plain Python, no database.

A plan's period is a calendar span in Asia/Shanghai: a day, an ISO week (from Monday), a fortnight
(two ISO weeks, counted from a fixed Monday so that every plan's fortnights line up) or a calendar
month. The period's moments are counted on the community center's calendar (clocks.calendars): the
warning comes when `WARNING_FRACTION` of the period's counted time has passed, the end is the end of
the span. A period with no counted time at all (a daily plan's holiday on a working-hours calendar)
expects nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from clocks.calendars import SHANGHAI

WARNING_FRACTION = 0.7  # as the events' and disputes' default warning
FORTNIGHT_EPOCH = date(2024, 1, 1)  # a Monday: fortnights are counted in pairs of ISO weeks from it

DAY, WEEK, FORTNIGHT, MONTH = "day", "week", "fortnight", "month"
PERIODS = (DAY, WEEK, FORTNIGHT, MONTH)


@dataclass(frozen=True)
class Span:
    """A period's first day and the day after its last (local dates), with its moments."""

    first: date
    after: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time(0), SHANGHAI)


def span_of(period: str, moment: datetime | date) -> Span:
    """The period of kind `period` holding `moment` (a datetime in any zone, or a local date)."""
    day = moment.astimezone(SHANGHAI).date() if isinstance(moment, datetime) else moment
    if period == DAY:
        return Span(day, day + timedelta(days=1))
    if period == WEEK:
        first = day - timedelta(days=day.weekday())
        return Span(first, first + timedelta(days=7))
    if period == FORTNIGHT:
        monday = day - timedelta(days=day.weekday())
        weeks = (monday - FORTNIGHT_EPOCH).days // 7
        first = monday - timedelta(days=7 * (weeks % 2))
        return Span(first, first + timedelta(days=14))
    if period == MONTH:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return Span(first, after)
    raise ValueError(f"unknown period: {period!r}")


def next_span(period: str, span: Span) -> Span:
    return span_of(period, span.after)


def warning_moment(span: Span, calendar) -> datetime | None:
    """When the period's warning is due: WARNING_FRACTION of its counted time on `calendar`; None
    when the period has no counted time (nothing is expected in it)."""
    counted = calendar.minutes_between(span.start, span.end)
    if counted <= 0:
        return None
    return calendar.add(span.start, counted * WARNING_FRACTION)


def coverage(places_checked: int, places_due: int) -> float | None:
    """Places checked in at least once in the period ÷ places on the route (None: no route)."""
    if places_due <= 0:
        return None
    return min(places_checked, places_due) / places_due


def covered(*, patrols_done: int, patrols_expected: int, places_checked: int, places_due: int) -> bool:
    """A period is covered when its patrols are done and every place on the route was checked in."""
    return patrols_done >= patrols_expected and places_checked >= places_due


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine): plenty for a walk, no database needed."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# A jump between two fixes faster than this is a bad fix (or a car), not walking: it is kept on the
# track but not added to the patrol's distance.
MAX_SPEED_M_S = 15.0


def walked_m(points: list[tuple[float, float, float]], last: tuple[float, float, float] | None = None) -> float:
    """The distance along `points` ((lat, lng, unix seconds), in time order) from `last`, skipping
    the legs faster than MAX_SPEED_M_S."""
    total = 0.0
    previous = last
    for point in points:
        if previous is not None:
            leg = distance_m(previous[0], previous[1], point[0], point[1])
            seconds = point[2] - previous[2]
            if seconds > 0 and leg / seconds <= MAX_SPEED_M_S:
                total += leg
        previous = point
    return total
