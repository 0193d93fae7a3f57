"""Deadlines and the sweep on the demo's calendars, in the real database: communities work office hours
(9:00–12:00, 13:30–17:30, with China's 2026 holidays and make-up working days, 调休), the towns and the
district keep round-the-clock duty. The other tests count round the clock; these switch the calendars on.

The expected moments are worked out by hand below, not computed by the code under test.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events import clocks as event_clocks
from events import engine
from events.models import Event, EventAction, EventSchedule

TZ = ZoneInfo("Asia/Shanghai")
TICK = timedelta(microseconds=1)


def at(month, day, hour, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def round_the_clock(db):
    """Replaces the events tests' fixture of this name: the demo's calendars, switched on."""
    from grids.models import Center
    from wenjiang_ops.demo import assign_calendars

    Center.objects.update(calendar=None)
    assign_calendars(lambda line: None)
    event_clocks.reference_changed()
    yield
    event_clocks.reference_changed()


def steps(event):
    return list(
        EventAction.objects.filter(event=event, mark__isnull=False).order_by("id").values_list("action", "level")
    )


def next_due(event):
    return EventSchedule.objects.filter(event_id=event.pk).values_list("next_due_at", flat=True).first()


def sweep_at(moment):
    return engine.sweep(now=moment)


def test_the_eve_of_national_day_counts_from_the_8th_of_october(report):
    """Reported on Wednesday 30 September 2026 at 20:00, after office hours; 1–7 October are holidays.

    The community accepts within 120 working minutes (warning at 70 %, 84 min; escalation 60 working
    minutes after the deadline): from 9:00 on Thursday 8 October, 10:24 / 11:00 / 12:00. The whole
    event's deadline is 4560 working minutes (120 + 120 + 2880 + 1440) = 10 working days of 7 h and
    360 min: 8, 9, 10 (Saturday, a make-up working day), 12–16, 19, 20 October, then 9:00–12:00 and
    13:30–16:30 on the 21st."""
    event = report(now=at(9, 30, 20))
    assert event.center.name == "航天路社区"
    assert (event.warn_at, event.due_at, event.escalate_at) == (at(10, 8, 10, 24), at(10, 8, 11), at(10, 8, 12))
    assert event.deadline == at(10, 21, 16, 30)
    assert next_due(event) == at(10, 8, 10, 24)

    # Not during the holiday, nor a moment before the warning.
    for moment in (at(9, 30, 22), at(10, 1, 12), at(10, 7, 23, 59), at(10, 8, 10, 24) - TICK):
        assert sweep_at(moment).events == 0, moment
    assert steps(event) == []

    # The warning at 10:24 exactly, once.
    assert sweep_at(at(10, 8, 10, 24)).warnings == 1
    assert sweep_at(at(10, 8, 10, 24)).events == 0
    assert sweep_at(at(10, 8, 11) - TICK).events == 0
    # The deadline at 11:00: a yellow card, once.
    assert sweep_at(at(10, 8, 11)).overdue == 1
    assert sweep_at(at(10, 8, 12) - TICK).events == 0
    # The escalation at 12:00 to the town, whose duty is round the clock: its accept limit of 60
    # minutes runs from 12:00 (warning at 42 min, escalation 60 min after the deadline).
    assert sweep_at(at(10, 8, 12)).escalations == 1
    event.refresh_from_db()
    assert (event.level, event.center.name) == ("town", "柳城街道")
    assert (event.warn_at, event.due_at, event.escalate_at) == (at(10, 8, 12, 42), at(10, 8, 13), at(10, 8, 14))
    assert next_due(event) == at(10, 8, 12, 42)
    assert sweep_at(at(10, 8, 12, 42) - TICK).events == 0
    assert sweep_at(at(10, 8, 12, 42)).warnings == 1
    assert sweep_at(at(10, 8, 13)).overdue == 1
    assert sweep_at(at(10, 8, 14) - TICK).events == 0
    assert sweep_at(at(10, 8, 14)).escalations == 1
    event.refresh_from_db()
    # The district: 60 minutes to accept, 120 minutes of grace, round the clock; at the top a red card.
    assert (event.level, event.center.name) == ("district", "温江区")
    assert (event.warn_at, event.due_at, event.escalate_at) == (at(10, 8, 14, 42), at(10, 8, 15), at(10, 8, 17))
    assert sweep_at(at(10, 8, 17) - TICK).overdue == 1  # the warning and the deadline, in one late sweep
    assert sweep_at(at(10, 8, 17)).red_cards == 1
    assert sweep_at(at(10, 31, 12)).events == 0  # nothing more, ever, without a new phase
    assert next_due(event) is None

    assert steps(event) == [
        ("warn", "community"),
        ("supervise", "community"),
        ("escalate", "town"),
        ("warn", "town"),
        ("supervise", "town"),
        ("escalate", "district"),
        ("warn", "district"),
        ("supervise", "district"),
        ("supervise", "district"),
    ]
    assert Event.objects.get(pk=event.pk).supervision == "red_card"


@pytest.mark.parametrize(
    ("reported", "warn_at", "due_at"),
    [
        # Saturday evening, 19 September: Sunday the 20th is a make-up working day (调休).
        (at(9, 19, 18), at(9, 20, 10, 24), at(9, 20, 11)),
        # Friday 9 October, 17:00: 30 minutes that day, the rest on Saturday the 10th (a make-up day).
        (at(10, 9, 17), at(10, 10, 9, 54), at(10, 10, 10, 30)),
        # During the holiday: from 9:00 on the first working day after it.
        (at(10, 3, 10), at(10, 8, 10, 24), at(10, 8, 11)),
        # An ordinary Saturday waits for Monday.
        (at(10, 17, 10), at(10, 19, 10, 24), at(10, 19, 11)),
        # Over the lunch break: 60 minutes to 12:00, the rest from 13:30 (24 and 60 minutes).
        (at(10, 13, 11), at(10, 13, 13, 54), at(10, 13, 14, 30)),
    ],
)
def test_make_up_working_days_holidays_weekends_and_lunch(report, reported, warn_at, due_at):
    event = report(now=reported)
    assert (event.warn_at, event.due_at) == (warn_at, due_at)
    assert sweep_at(warn_at - TICK).events == 0
    assert sweep_at(warn_at).warnings == 1
    assert sweep_at(due_at - TICK).events == 0
    assert sweep_at(due_at).overdue == 1
    assert [a for a, _ in steps(event)] == ["warn", "supervise"]


def test_a_department_phase_counts_on_the_holding_centers_calendar(report, act, dept):
    """Dispatched by the community at 17:00 on the eve: the department's 120 minutes to sign for it
    count on the community's office hours, 30 minutes that evening and 90 on 8 October."""
    event = report(now=at(9, 30, 16))
    event = act(event, "hangtianlu", "accept", now=at(9, 30, 16, 30))
    event = act(event, "hangtianlu", "dispatch", lead_department=dept("police").pk, now=at(9, 30, 17))
    assert event.phase == "sign"
    assert (event.warn_at, event.due_at) == (at(10, 8, 9, 54), at(10, 8, 10, 30))
    assert sweep_at(at(10, 8, 9, 54) - TICK).events == 0
    assert sweep_at(at(10, 8, 9, 54)).warnings == 1
