"""A plan's clock: the current period's moments on the community center's calendar, and the
sweep's next moment (the schedule row, written through clocks.sweep). The arithmetic is
patrols.domain.periods over the shared clocks.calendars."""

from __future__ import annotations

from datetime import datetime

from clocks import cache as clock_cache
from clocks import moments as clock_moments
from clocks import sweep as clock_sweep

from .domain import periods
from .models import PatrolPlan

SCHEDULE_TABLE = "patrols_planschedule"
WARN, OVERDUE = clock_moments.WARN, clock_moments.OVERDUE


def calendar_of(plan: PatrolPlan):
    """The calendar the plan's community center counts on (round the clock if none)."""
    return clock_cache.calendar(plan.center.calendar_id)


def current_span(plan: PatrolPlan) -> periods.Span | None:
    if plan.period_start is None:
        return None
    return periods.span_of(plan.period, plan.period_start)


def start_period(plan: PatrolPlan, moment: datetime) -> None:
    """Starts the clock of the period holding `moment`: a new cycle with its warning (none when
    the period has no counted time: nothing is expected then) and its end."""
    span = periods.span_of(plan.period, moment)
    warn_at = periods.warning_moment(span, calendar_of(plan))
    plan.period_start = span.start
    plan.due_at = span.end
    plan.warn_at = warn_at
    plan.clock_cycle += 1
    # A period with no counted time has nothing to warn of and nothing to miss.
    plan.clock_marks = 0 if warn_at is not None else WARN | OVERDUE


def expects_patrols(plan: PatrolPlan) -> bool:
    """Whether the current period expects anything (it has counted time on the calendar)."""
    return plan.warn_at is not None


def next_due(plan: PatrolPlan) -> datetime | None:
    """The sweep's next moment: the warning, then the period's end (which also rolls the plan to
    the next period, so an active plan always has one); none for an inactive plan."""
    if not plan.active or plan.due_at is None:
        return None
    if not plan.clock_marks & WARN and plan.warn_at is not None:
        return plan.warn_at
    return plan.due_at


def write_schedule(plan: PatrolPlan) -> None:
    """The plan's next moment on its schedule row (or none). The caller holds the plan's row lock."""
    clock_sweep.write_next_due(schedule=SCHEDULE_TABLE, key="plan_id", case_id=plan.pk, due=next_due(plan))
