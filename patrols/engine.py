"""The plans' sweep: warnings before a period runs out uncovered, and the missed patrols when it
ended so. It runs under the shared sweep driver (clocks.sweep), registered as "patrols"
(patrols.apps).

Each batch claims the plans whose schedule row is due (`FOR UPDATE SKIP LOCKED` over PlanSchedule's
index, plan row first) and, for each one inside its lock, makes the steps whose moment has come:
- the warning (at 70 % of the period's counted time on the community's calendar): when the period
  is not yet covered (patrols done and every place checked in: domain.periods.covered), a message to
  the assigned people and the community center's staff;
- the period's end: when it ended uncovered, a MissedPatrol row (once per plan and period) and a
  message to the same people; then the plan's next period starts.
Each step is a PlanClockStep row with its cycle and mark, unique per plan (plan_clock_step_once): a
repeated step fails under its own savepoint and is skipped. Plans are few (one per grid and per
volunteer team), so this is plain Python per claimed plan."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from clocks import sweep as clock_sweep
from inbox.services import inbox_send

from . import clocks as plan_clocks
from . import selectors
from .domain import periods
from .models import MissedPatrol, PatrolPlan, PlanClockStep

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_STEPS_PER_PLAN = 100  # a sweep that was stopped for months catches up a plan's periods in one go
CENTER_INBOX_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)
WARN, OVERDUE = plan_clocks.WARN, plan_clocks.OVERDUE

_CLAIM_SQL = clock_sweep.claim_sql(
    schedule=plan_clocks.SCHEDULE_TABLE, cases="patrols_patrolplan", key="plan_id", columns=("id",)
)

MESSAGES = {
    "patrol_period_warning": _(
        "Patrol plan “%(plan)s”: this period ends at %(end)s and is not covered yet "
        "(%(done)d of %(expected)d patrols, %(checked)d of %(due)d places checked in)."
    ),
    "patrol_missed": _(
        "Patrol plan “%(plan)s”: the period %(start)s – %(end)s ended uncovered "
        "(%(done)d of %(expected)d patrols, %(checked)d of %(due)d places checked in)."
    ),
}


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Makes every plan step whose moment is at or before `now`. Safe to run concurrently and again.
    Returns the number of steps made."""
    return clock_sweep.run_claimed(_CLAIM_SQL, _ticks, now=now or timezone.now(), batch_size=batch_size)


def _ticks(ids: list[int], now: datetime) -> int:
    return sum(_tick(plan, now) for plan in PatrolPlan.objects.filter(pk__in=ids).select_related("center"))


def _tick(plan: PatrolPlan, now: datetime) -> int:
    """The plan's due steps, in order, rolling over as many periods as have ended. The caller holds
    the plan's row lock."""
    made = 0
    for _step in range(MAX_STEPS_PER_PLAN):
        due = plan_clocks.next_due(plan)
        if due is None or due > now:
            break
        span = plan_clocks.current_span(plan)
        mark = WARN if (not plan.clock_marks & WARN and plan.warn_at is not None and due == plan.warn_at) else OVERDUE
        if plan.clock_marks & mark:  # a period with nothing expected: straight to the next
            plan_clocks.start_period(plan, span.end)
            continue
        figures = selectors.coverage({plan.pk: (span.start, span.end)})[plan.pk]
        done = periods.covered(
            patrols_done=figures["patrols_done"],
            patrols_expected=plan.patrols_per_period,
            places_checked=figures["places_checked"],
            places_due=figures["places_due"],
        )
        if _record(plan, mark, span, figures, now):
            made += 1
            if not done:
                kind = "patrol_period_warning" if mark == WARN else "patrol_missed"
                if mark == OVERDUE:
                    MissedPatrol.objects.get_or_create(
                        plan=plan,
                        period_start=span.start,
                        defaults={
                            "period_end": span.end,
                            "patrols_expected": plan.patrols_per_period,
                            "patrols_done": figures["patrols_done"],
                            "places_due": figures["places_due"],
                            "places_checked": figures["places_checked"],
                            "recorded_at": now,
                        },
                    )
                _tell(plan, kind, span, figures)
        plan.clock_marks |= mark
        if mark == OVERDUE:
            plan_clocks.start_period(plan, span.end)
    plan.save(update_fields=["period_start", "warn_at", "due_at", "clock_cycle", "clock_marks"])
    plan_clocks.write_schedule(plan)
    return made


def _record(plan: PatrolPlan, mark: int, span: periods.Span, figures: dict, now: datetime) -> bool:
    """The step's timeline row; False when another run made it already (the unique constraint)."""
    try:
        with transaction.atomic():
            PlanClockStep.objects.create(
                plan=plan,
                cycle=plan.clock_cycle,
                mark=mark,
                period_start=span.start,
                at=now,
                patrols_done=figures["patrols_done"],
                places_checked=figures["places_checked"],
                places_due=figures["places_due"],
            )
    except IntegrityError:
        return False
    return True


def _tell(plan: PatrolPlan, kind: str, span: periods.Span, figures: dict) -> None:
    people = list(plan.assignees.filter(is_active=True).values_list("pk", flat=True))
    people += list(
        User.objects.filter(center_id=plan.center_id, role__in=CENTER_INBOX_ROLES, is_active=True).values_list(
            "pk", flat=True
        )
    )
    values = {
        "plan": plan.name,
        "start": timezone.localtime(span.start).strftime("%Y-%m-%d"),
        "end": timezone.localtime(span.end).strftime("%Y-%m-%d %H:%M"),
        "done": figures["patrols_done"],
        "expected": plan.patrols_per_period,
        "checked": figures["places_checked"],
        "due": figures["places_due"],
    }
    with translation.override(settings.LANGUAGE_CODE):  # stored in the platform's language
        text = str(MESSAGES[kind]) % values
    inbox_send(users=people, kind=kind, message=text, subject=plan)
