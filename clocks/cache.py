"""The calendars and special days, cached per process: every deadline of every case type is counted
on one, and they are edited a few times a year.

A save or delete in this process empties the cache at once (clocks.apps); other processes reload it
within SECONDS."""

from __future__ import annotations

import time

from .calendars import ROUND_THE_CLOCK, WorkingHours, parse_periods
from .moments import Calendar

SECONDS = 30.0

_loaded: tuple[float, dict[int, Calendar]] | None = None


def calendars(*, fresh: bool = False) -> dict[int, Calendar]:
    """Calendar id -> RoundTheClock | WorkingHours (with the special days), reloaded at most every
    SECONDS (or on demand)."""
    global _loaded
    if fresh or _loaded is None or time.monotonic() - _loaded[0] > SECONDS:
        from .models import Calendar as CalendarRow
        from .models import SpecialDay

        special = dict(SpecialDay.objects.values_list("date", "workday"))
        rows = CalendarRow.objects.all()
        _loaded = (
            time.monotonic(),
            {
                c.pk: ROUND_THE_CLOCK if c.round_the_clock else WorkingHours(parse_periods(c.periods), special)
                for c in rows
            },
        )
    return _loaded[1]


def calendar(calendar_id: int | None) -> Calendar:
    """The calendar with this id; round the clock for none (or one deleted since)."""
    if calendar_id is None:
        return ROUND_THE_CLOCK
    return calendars().get(calendar_id, ROUND_THE_CLOCK)


def invalidate(**kwargs) -> None:
    global _loaded
    _loaded = None
