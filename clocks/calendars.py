"""Counting time limits on a calendar. Plain Python, no database (the rows are clocks.models).

A limit of N minutes ends after N minutes of counted time: every minute on a round-the-clock
calendar; on a working-hours calendar, only minutes inside the working periods of working days
(Monday to Friday, minus public holidays, plus make-up working days 调休)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 3660  # a limit that needs more than ten years of working days is a configuration error


@dataclass(frozen=True)
class RoundTheClock:
    def add(self, start: datetime, minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds() / 60)


ROUND_THE_CLOCK = RoundTheClock()


@dataclass(frozen=True)
class WorkingHours:
    """Working periods (local times) on working days, in `tz`.

    `special_days` maps a date to True (a make-up working day) or False (a holiday)."""

    periods: Sequence[tuple[time, time]]
    special_days: Mapping[date, bool] = field(default_factory=dict)
    tz: ZoneInfo = SHANGHAI

    def is_workday(self, day: date) -> bool:
        special = self.special_days.get(day)
        return special if special is not None else day.weekday() < 5

    def _windows(self, day: date):
        if self.is_workday(day):
            for begin, end in self.periods:
                yield datetime.combine(day, begin, self.tz), datetime.combine(day, end, self.tz)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment when `minutes` of working time after `start` have passed."""
        if minutes <= 0:
            return start
        if not self.periods:
            raise ValueError("a working-hours calendar needs at least one working period")
        remaining = timedelta(minutes=minutes)
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(MAX_DAYS):
            for begin, end in self._windows(day):
                begin = max(begin, local)
                if begin >= end:
                    continue
                available = end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("the limit does not end within ten years of working days")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last:
            for begin, finish in self._windows(day):
                begin, finish = max(begin, start), min(finish, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 60


def parse_periods(periods) -> list[tuple[time, time]]:
    """[["09:00", "12:00"], ...] -> [(time, time), ...], checked: each period starts before it ends."""
    parsed = []
    for begin, end in periods or []:
        b, e = time.fromisoformat(begin), time.fromisoformat(end)
        if not b < e:
            raise ValueError(f"a working period must start before it ends: {begin}–{end}")
        parsed.append((b, e))
    return sorted(parsed)
