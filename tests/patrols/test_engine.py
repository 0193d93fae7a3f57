"""The plans' clock on the shared sweep, with the community's office-hours calendar: the warning
when a period runs out uncovered, the missed patrol once per period, the roll to the next period."""

from datetime import datetime, time, timedelta

import pytest

from clocks import sweep as clock_sweep
from clocks.calendars import SHANGHAI
from clocks.models import Calendar
from inbox.models import Notification
from patrols import clocks as plan_clocks
from patrols import engine, services
from patrols.domain import periods
from patrols.models import MissedPatrol, PatrolPlan, PlanClockStep, PlanSchedule

from .factories import plan_of, route, walk

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)  # the week of 30 Nov – 6 Dec 2026


@pytest.fixture(autouse=True)
def only_the_tests_plans():
    """The demo's ~480 plans have clocks too: off the schedule here, so each test sweeps its own."""
    PlanSchedule.objects.all().delete()


def _plan(demo_user, period="week", per_period=1, stops=2, now=MONDAY):
    staff = demo_user("hangtianlu")
    base = plan_of("gridworker")
    return services.plan_create(
        actor=staff,
        name="测试巡查",
        grid_id=base.grid_id,
        period=period,
        patrols_per_period=per_period,
        place_ids=[p.pk for p in route(base)[:stops]],
        assignee_ids=[demo_user("gridworker").pk],
        now=now,
    )


def test_the_plans_sweep_is_registered():
    assert clock_sweep.registered()["patrols"] is engine.sweep


def test_the_period_is_counted_on_the_communitys_calendar(demo_user):
    plan = _plan(demo_user)
    calendar = Calendar.objects.get(pk=plan.center.calendar_id)
    assert not calendar.round_the_clock  # communities work office hours (wenjiang_ops.demo)
    span = periods.span_of("week", MONDAY)
    assert plan.period_start == span.start and plan.due_at == span.end
    assert plan.warn_at == periods.warning_moment(span, plan_clocks.calendar_of(plan))
    local = plan.warn_at.astimezone(SHANGHAI)
    assert local.weekday() < 5 and time(9) <= local.time() <= time(17, 30)  # in working time, not 70 % of 7 days
    assert PlanSchedule.objects.get(plan=plan).next_due_at == plan.warn_at


def test_uncovered_period_warns_once_then_records_one_missed_patrol(demo_user):
    plan = _plan(demo_user)
    people = {demo_user("gridworker").pk, demo_user("hangtianlu").pk}
    engine.sweep(now=plan.warn_at - timedelta(seconds=1))
    assert not PlanClockStep.objects.filter(plan=plan).exists()
    engine.sweep(now=plan.warn_at)
    engine.sweep(now=plan.warn_at + timedelta(minutes=1))  # a second run changes nothing
    warnings = Notification.objects.filter(kind="patrol_period_warning", subject_id=plan.pk)
    assert people <= set(warnings.values_list("user_id", flat=True))
    assert warnings.count() == len(set(warnings.values_list("user_id", flat=True)))
    end = plan.due_at
    engine.sweep(now=end)
    engine.sweep(now=end)
    missed = MissedPatrol.objects.get(plan=plan)
    assert (missed.period_start, missed.period_end, missed.patrols_done, missed.places_due) == (
        plan.period_start,
        end,
        0,
        2,
    )
    assert Notification.objects.filter(kind="patrol_missed", subject_id=plan.pk).count() == len(
        set(warnings.values_list("user_id", flat=True))
    )
    plan.refresh_from_db()
    assert plan.period_start == end and plan.clock_cycle == 2 and plan.clock_marks == 0
    assert PlanSchedule.objects.get(plan=plan).next_due_at == plan.warn_at > end


def test_a_covered_period_neither_warns_nor_misses(demo_user):
    plan = _plan(demo_user, per_period=1, stops=2)
    walk(demo_user("gridworker"), plan, start=MONDAY + timedelta(hours=2), places=route(plan))
    engine.sweep(now=plan.due_at)
    assert not Notification.objects.filter(subject_id=plan.pk, kind__startswith="patrol_").exists()
    assert not MissedPatrol.objects.filter(plan=plan).exists()
    steps = PlanClockStep.objects.filter(plan=plan).order_by("mark")
    assert [(s.mark, s.patrols_done, s.places_checked) for s in steps] == [(1, 1, 2), (2, 1, 2)]


def test_half_the_places_is_not_covered(demo_user):
    plan = _plan(demo_user, per_period=1, stops=2)
    walk(demo_user("gridworker"), plan, start=MONDAY + timedelta(hours=2), places=route(plan)[:1])
    engine.sweep(now=plan.due_at)
    missed = MissedPatrol.objects.get(plan=plan)
    assert (missed.patrols_done, missed.places_checked, missed.places_due) == (1, 1, 2)


def test_a_stopped_sweep_catches_up_every_missed_period(demo_user):
    plan = _plan(demo_user, period="week")
    engine.sweep(now=MONDAY + timedelta(weeks=3, hours=1))
    assert MissedPatrol.objects.filter(plan=plan).count() == 3
    plan.refresh_from_db()
    assert plan.period_start == periods.span_of("week", MONDAY + timedelta(weeks=3)).start


def test_a_daily_plan_expects_nothing_at_the_weekend(demo_user):
    saturday = datetime(2026, 12, 5, 8, 0, tzinfo=SHANGHAI)
    plan = _plan(demo_user, period="day", now=saturday)
    assert plan.warn_at is None
    engine.sweep(now=saturday + timedelta(days=2, hours=1))  # through Saturday and Sunday to Monday
    assert not MissedPatrol.objects.filter(plan=plan).exists()
    plan.refresh_from_db()
    assert plan.period_start.astimezone(SHANGHAI).date().weekday() == 0 and plan.warn_at is not None


def test_a_suspended_plan_has_no_clock(demo_user):
    plan = _plan(demo_user)
    services.plan_set_active(actor=demo_user("hangtianlu"), plan_id=plan.pk, active=False)
    assert not PlanSchedule.objects.filter(plan=plan).exists()
    engine.sweep(now=plan.due_at + timedelta(weeks=2))
    assert not MissedPatrol.objects.filter(plan=plan).exists()
    assert PatrolPlan.objects.get(pk=plan.pk).clock_cycle == 1
