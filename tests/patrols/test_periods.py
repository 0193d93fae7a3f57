"""The plans' periods, coverage and walked distance: plain Python, no database."""

from datetime import date, datetime, time, timedelta

import pytest

from clocks.calendars import ROUND_THE_CLOCK, SHANGHAI, WorkingHours
from patrols.domain import periods
from patrols.domain import permissions as perms

OFFICE = WorkingHours([(time(9), time(12)), (time(13, 30), time(17, 30))])


@pytest.mark.parametrize("period", periods.PERIODS)
def test_every_day_of_two_years_lies_in_exactly_one_period_and_they_tile(period):
    day = date(2025, 1, 1)
    span = periods.span_of(period, day)
    while day < date(2027, 1, 1):
        held = periods.span_of(period, day)
        assert held.first <= day < held.after
        if held != span:  # the next period starts where the last one ended
            assert held.first == span.after == periods.next_span(period, span).first
            span = held
        day += timedelta(days=1)


def test_span_shapes():
    wednesday = date(2026, 12, 2)
    assert periods.span_of("day", wednesday) == periods.Span(wednesday, date(2026, 12, 3))
    assert periods.span_of("week", wednesday) == periods.Span(date(2026, 11, 30), date(2026, 12, 7))
    fortnight = periods.span_of("fortnight", wednesday)
    assert fortnight.first.weekday() == 0 and (fortnight.after - fortnight.first).days == 14
    assert periods.span_of("fortnight", fortnight.after - timedelta(days=1)) == fortnight
    assert periods.span_of("month", wednesday) == periods.Span(date(2026, 12, 1), date(2027, 1, 1))
    assert periods.span_of("month", date(2027, 2, 28)).after == date(2027, 3, 1)
    with pytest.raises(ValueError):
        periods.span_of("year", wednesday)


def test_a_moment_is_taken_in_shanghai_time():
    # 23:30 UTC on Sunday is 07:30 on Monday in Shanghai: the new week.
    moment = datetime(2026, 11, 29, 23, 30, tzinfo=SHANGHAI).astimezone(SHANGHAI)
    utc_sunday_night = datetime.fromisoformat("2026-11-29T23:30:00+00:00")
    assert periods.span_of("week", utc_sunday_night).first == date(2026, 11, 30)
    assert periods.span_of("week", moment).first == date(2026, 11, 23)


def test_warning_round_the_clock_is_at_seventy_percent():
    span = periods.span_of("week", date(2026, 11, 30))
    warn = periods.warning_moment(span, ROUND_THE_CLOCK)
    assert warn == span.start + timedelta(days=7) * 0.7


def test_warning_on_office_hours_counts_working_time_only():
    span = periods.span_of("week", date(2026, 11, 30))  # Mon 30 Nov – Sun 6 Dec: 5 days × 7 h
    warn = periods.warning_moment(span, OFFICE)
    assert OFFICE.minutes_between(span.start, warn) == pytest.approx(0.7 * 5 * 7 * 60)
    assert warn.astimezone(SHANGHAI).date() == date(2026, 12, 3)  # Thursday, in working time


def test_a_holiday_expects_nothing_of_a_daily_plan():
    holiday = date(2026, 10, 1)
    calendar = WorkingHours([(time(9), time(17))], {holiday: False})
    assert periods.warning_moment(periods.span_of("day", holiday), calendar) is None
    saturday_made_workday = date(2026, 9, 26)
    calendar = WorkingHours([(time(9), time(17))], {saturday_made_workday: True})
    assert periods.warning_moment(periods.span_of("day", saturday_made_workday), calendar) is not None
    assert periods.warning_moment(periods.span_of("day", date(2026, 9, 27)), calendar) is None  # a Sunday


@pytest.mark.parametrize(
    ("done", "expected", "checked", "due", "result"),
    [(2, 2, 10, 10, True), (1, 2, 10, 10, False), (2, 2, 9, 10, False), (3, 2, 12, 10, True), (0, 1, 0, 0, False)],
)
def test_covered(done, expected, checked, due, result):
    assert (
        periods.covered(patrols_done=done, patrols_expected=expected, places_checked=checked, places_due=due) is result
    )


def test_coverage():
    assert periods.coverage(3, 4) == 0.75
    assert periods.coverage(5, 4) == 1.0
    assert periods.coverage(0, 0) is None


def test_distance_and_walked():
    # One thousandth of a degree of latitude is about 111 m.
    assert periods.distance_m(30.0, 103.0, 30.001, 103.0) == pytest.approx(111.2, abs=0.5)
    walk = [(30.0, 103.0, 0), (30.001, 103.0, 100), (30.002, 103.0, 200)]
    assert periods.walked_m(walk) == pytest.approx(222.4, abs=1)
    # A jump of 1.1 km in 10 s is a bad fix: kept out of the distance.
    assert periods.walked_m([(30.0, 103.0, 0), (30.01, 103.0, 10)]) == 0
    # From the last stored point.
    assert periods.walked_m([(30.001, 103.0, 100)], last=(30.0, 103.0, 0)) == pytest.approx(111.2, abs=0.5)


@pytest.mark.parametrize("role", ["grid_worker", "volunteer", "center_staff", "department_staff", "mediator", "admin"])
@pytest.mark.parametrize("action", perms.ACTIONS)
@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize("assigned", [True, False])
@pytest.mark.parametrize("on_plan", [True, False])
def test_may_over_every_fact(role, action, own, assigned, on_plan):
    facts = perms.Facts(role=role, own_patrol=own, assigned=assigned, on_plan=on_plan)
    if action == perms.START:
        expected = role in ("grid_worker", "volunteer") and (assigned or not on_plan)
    else:
        expected = own  # only the patroller writes to their patrol, whatever their role
    assert perms.may(action, facts) is expected


@pytest.mark.parametrize("action", perms.ACTIONS)
@pytest.mark.parametrize("active", [True, False])
def test_every_action_but_start_needs_an_active_patrol(action, active):
    assert perms.allowed_in_state(action, active) is (action == perms.START or active)


def test_unknown_action_is_refused():
    assert not perms.may("fly", perms.Facts(role="grid_worker", own_patrol=True))
