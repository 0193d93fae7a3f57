"""Counting limits on calendars, without a database: working hours, holidays, 调休, suspension,
extension and a change of level."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clocks.calendars import ROUND_THE_CLOCK, WorkingHours, parse_periods
from events.domain import clocks
from events.reference import special_days

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = WorkingHours(
    parse_periods([["09:00", "12:00"], ["13:30", "17:30"]]), {d.date: d.workday for d in special_days()}
)


def at(y, m, d, h=0, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "minutes", "end"),
    [
        (at(2026, 3, 2, 9), 60, at(2026, 3, 2, 10)),  # inside the morning
        (at(2026, 3, 2, 11, 30), 60, at(2026, 3, 2, 14)),  # over the lunch break
        (at(2026, 3, 2, 17), 60, at(2026, 3, 3, 9, 30)),  # over the night
        (at(2026, 3, 2, 20), 10, at(2026, 3, 3, 9, 10)),  # reported in the evening
        (at(2026, 3, 6, 17), 60, at(2026, 3, 9, 9, 30)),  # Friday evening to Monday
        (at(2026, 3, 7, 10), 1, at(2026, 3, 9, 9, 1)),  # a Saturday report waits for Monday
        (at(2026, 9, 30, 16), 120, at(2026, 10, 8, 9, 30)),  # National Day: 1–7 October off
        (at(2026, 9, 19, 10), 30, at(2026, 9, 20, 9, 30)),  # Sunday 20 September is a make-up working day
        (at(2026, 2, 13, 17), 60, at(2026, 2, 14, 9, 30)),  # Saturday 14 February works; 15–23 off
        (at(2026, 2, 14, 17), 60, at(2026, 2, 24, 9, 30)),
        (at(2026, 3, 2, 9), 420, at(2026, 3, 2, 17, 30)),  # exactly one working day (7 hours)
        (at(2026, 3, 2, 9), 0, at(2026, 3, 2, 9)),
    ],
)
def test_working_hours(start, minutes, end):
    assert OFFICE.add(start, minutes) == end
    if minutes:
        assert OFFICE.minutes_between(start, end) == pytest.approx(minutes)


def test_adding_and_measuring_agree_over_a_year():
    start = at(2026, 1, 1, 8)
    for minutes in range(0, 60 * 24 * 40, 997):  # up to forty days of working time, odd steps
        end = OFFICE.add(start, minutes)
        assert OFFICE.minutes_between(start, end) == pytest.approx(minutes)
        assert OFFICE.is_workday(end.date()) or minutes == 0


def test_holidays_and_makeup_days():
    assert not OFFICE.is_workday(date(2026, 10, 1)) and not OFFICE.is_workday(date(2026, 2, 16))
    assert OFFICE.is_workday(date(2026, 10, 10)) and OFFICE.is_workday(date(2026, 1, 4))  # Saturday, Sunday
    assert not OFFICE.is_workday(date(2027, 2, 6))  # 2027 statutory spring festival day
    assert OFFICE.is_workday(date(2026, 3, 2)) and not OFFICE.is_workday(date(2026, 3, 1))


def test_round_the_clock():
    assert ROUND_THE_CLOCK.add(at(2026, 10, 1, 23), 120) == at(2026, 10, 2, 1)
    assert ROUND_THE_CLOCK.minutes_between(at(2026, 1, 1), at(2026, 1, 2)) == 1440


def test_bad_periods_are_refused():
    with pytest.raises(ValueError):
        parse_periods([["12:00", "09:00"]])
    with pytest.raises(ValueError):
        WorkingHours([]).add(at(2026, 3, 2), 10)


def test_phase_moments_and_the_marks():
    m = clocks.phase_moments(
        start=at(2026, 3, 2, 9), minutes=100, warning_fraction=0.7, grace_minutes=60, calendar=ROUND_THE_CLOCK
    )
    assert (m.warn_at, m.due_at, m.escalate_at) == (
        at(2026, 3, 2, 10, 10),
        at(2026, 3, 2, 10, 40),
        at(2026, 3, 2, 11, 40),
    )
    assert clocks.next_due(m, 0) == m.warn_at
    assert clocks.next_due(m, clocks.WARN) == m.due_at
    assert clocks.next_due(m, clocks.WARN | clocks.OVERDUE) == m.escalate_at
    assert clocks.next_due(m, clocks.WARN | clocks.OVERDUE | clocks.ESCALATE) is None
    assert clocks.due_marks(m, 0, at(2026, 3, 2, 10)) == []
    assert clocks.due_marks(m, 0, at(2026, 3, 2, 10, 50)) == [clocks.WARN, clocks.OVERDUE]
    assert clocks.due_marks(m, clocks.WARN, at(2026, 3, 2, 12)) == [clocks.OVERDUE, clocks.ESCALATE]


def test_moments_on_working_hours_skip_the_night():
    m = clocks.phase_moments(
        start=at(2026, 3, 2, 17), minutes=120, warning_fraction=0.7, grace_minutes=60, calendar=OFFICE
    )
    assert m.warn_at == at(2026, 3, 3, 9, 54) and m.due_at == at(2026, 3, 3, 10, 30)
    assert m.escalate_at == at(2026, 3, 3, 11, 30)


def test_a_suspension_moves_every_moment_by_the_pause():
    from events.clocks import next_due as _next_due
    from events.clocks import shift_clocks as _shift_clocks
    from events.models import Event

    event = Event(
        warn_at=at(2026, 3, 2, 10),
        due_at=at(2026, 3, 2, 11),
        escalate_at=at(2026, 3, 2, 12),
        deadline=at(2026, 3, 5, 12),
        phase="handle",
        clock_marks=clocks.WARN,
    )
    _shift_clocks(event, timedelta(hours=5))
    assert (event.due_at, event.escalate_at, event.deadline) == (
        at(2026, 3, 2, 16),
        at(2026, 3, 2, 17),
        at(2026, 3, 5, 17),
    )
    assert _next_due(event) == event.due_at  # the warning was made; the deadline is next


def test_time_of_day_periods_parse():
    assert parse_periods([["13:30", "17:30"], ["09:00", "12:00"]]) == [
        (time(9), time(12)),
        (time(13, 30), time(17, 30)),
    ]
