"""The visit clock under the shared sweep: warn, urge and escalate once each, on the holding
center's calendar; a visit starts the next cycle."""

from datetime import datetime, timedelta

import pytest

from care import clocks as care_clocks
from care import engine, services
from care.choices import Action
from care.models import CareAction, CareSchedule
from clocks import sweep as clock_sweep
from clocks.calendars import SHANGHAI
from clocks.models import Calendar
from grids.models import Center
from inbox.models import Notification

from .factories import make_person

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def kinds(person):
    return list(
        Notification.objects.filter(subject_id=person.pk, subject_type="care.specialperson")
        .order_by("id")
        .values_list("kind", "user__username")
    )


def steps(person):
    return list(
        CareAction.objects.filter(person=person, action=Action.WARN).order_by("id").values_list("cycle", "mark")
    )


def test_warn_urge_escalate_once_each(gridworker):
    person = make_person(workers=[gridworker], now=START)  # monthly: warn day 25, due 30, escalate 33
    assert engine.sweep(now=START + timedelta(days=24)) == 0
    assert engine.sweep(now=START + timedelta(days=25, minutes=1)) == 1
    assert kinds(person) == [("care_visit_warning", "gridworker")]
    assert engine.sweep(now=START + timedelta(days=25, minutes=2)) == 0  # nothing twice
    assert engine.sweep(now=START + timedelta(days=30, minutes=1)) == 1
    overdue = {u for k, u in kinds(person) if k == "care_visit_overdue"}
    assert overdue == {"gridworker", "hangtianlu"} | set(
        services.User.objects.filter(center=person.center, role__in=services.CENTER_INBOX_ROLES).values_list(
            "username", flat=True
        )
    )
    assert engine.sweep(now=START + timedelta(days=33, minutes=1)) == 1
    escalated = {u for k, u in kinds(person) if k == "care_visit_escalated"}
    town = Center.objects.get(pk=person.center.parent_id)
    assert (
        set(
            services.User.objects.filter(center=town, role__in=services.CENTER_INBOX_ROLES).values_list(
                "username", flat=True
            )
        )
        <= escalated
    )  # the town's staff (the parent center)
    assert "liucheng" in escalated  # 航天路社区 lies in 柳城街道
    assert steps(person) == [(1, 1), (1, 2), (1, 4)]
    assert not CareSchedule.objects.filter(person=person).exists()  # nothing more is due this cycle
    assert engine.sweep(now=START + timedelta(days=60)) == 0


def test_a_sweep_long_after_makes_all_three_steps_once(gridworker):
    person = make_person(workers=[gridworker], now=START)
    assert engine.sweep(now=START + timedelta(days=40)) == 3
    assert engine.sweep(now=START + timedelta(days=41)) == 0
    assert steps(person) == [(1, 1), (1, 2), (1, 4)]


def test_a_repeated_step_is_refused_by_the_database(gridworker):
    """A second run that did not see the first's marks (a crash between the step and the marks)
    makes no second message: the timeline's unique (person, cycle, mark) refuses it."""
    person = make_person(workers=[gridworker], now=START)
    engine.sweep(now=START + timedelta(days=26))
    type(person).objects.filter(pk=person.pk).update(clock_marks=0)  # as if the marks were lost
    care_clocks.write_schedule(type(person).objects.get(pk=person.pk))
    assert engine.sweep(now=START + timedelta(days=26)) == 0
    assert [k for k, _ in kinds(person)] == ["care_visit_warning"]


def test_a_visit_starts_the_next_cycle(gridworker):
    person = make_person(workers=[gridworker], now=START)
    engine.sweep(now=START + timedelta(days=26))
    services.visit_record(person_id=person.pk, actor=gridworker, method="in_person", now=START + timedelta(days=27))
    person.refresh_from_db()
    assert person.clock_cycle == 2 and person.clock_marks == 0
    assert engine.sweep(now=START + timedelta(days=40)) == 0  # the new cycle's warning is later
    assert engine.sweep(now=person.warn_at) == 1
    assert steps(person) == [(1, 1), (2, 1)]


def test_the_holding_centers_calendar_moves_moments_to_working_time(gridworker):
    office = Calendar.objects.create(name="test office", periods=[["09:00", "12:00"], ["13:30", "17:30"]])
    make = make_person(workers=[gridworker], now=START)
    Center.objects.filter(pk=make.center_id).update(calendar=office)
    from clocks import cache

    cache.invalidate()
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI)  # Saturday + 30 days = Monday 6 April
    person = make_person(workers=[gridworker], now=saturday - timedelta(days=30), name="李四")
    # created on Friday 6 February at 10:00: due Sunday 8 March → Monday 9 March 09:00
    assert person.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert engine.sweep(now=datetime(2026, 3, 8, 23, 0, tzinfo=SHANGHAI)) >= 1  # the warning (earlier)
    assert [m for c, m in steps(person)] == [1]
    assert engine.sweep(now=datetime(2026, 3, 9, 9, 1, tzinfo=SHANGHAI)) >= 1
    assert [m for c, m in steps(person)] == [1, 2]


def test_the_shared_sweep_runs_the_care_clock(gridworker):
    assert "care" in clock_sweep.registered()
    person = make_person(workers=[gridworker], now=START)
    results = clock_sweep.sweep_all(now=START + timedelta(days=26))
    assert results["care"] == 1
    assert steps(person) == [(1, 1)]
