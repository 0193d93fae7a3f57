"""The visit clock of one person: the rule it counts with (VisitRule, cached briefly per process;
the calendars are the shared clocks.cache), the cycle's moments, and the sweep's schedule row
(written through clocks.sweep). The arithmetic is care.domain.rules over clocks.moments."""

from __future__ import annotations

import time
from datetime import datetime

from clocks import cache as clock_cache
from clocks import moments as clock_moments
from clocks import sweep as clock_sweep

from .domain import rules
from .models import SpecialPerson, VisitRule

SCHEDULE_TABLE = "care_careschedule"
_CACHE_SECONDS = 30.0
# When no rule is configured for a type and level: monthly, which is the usual minimum.
FALLBACK = rules.Rule(every_days=30, warn_days=3, grace_days=3)

_rules: tuple[float, dict[tuple[str, str], rules.Rule]] | None = None


def rule_table(*, fresh: bool = False) -> dict[tuple[str, str], rules.Rule]:
    """(type, risk) -> Rule, reloaded at most every 30 s (or on demand)."""
    global _rules
    if fresh or _rules is None or time.monotonic() - _rules[0] > _CACHE_SECONDS:
        _rules = (
            time.monotonic(),
            {
                (r.person_type, r.risk): rules.Rule(r.every_days, r.warn_days, r.grace_days)
                for r in VisitRule.objects.all()
            },
        )
    return _rules[1]


def rules_changed(**kwargs) -> None:
    global _rules
    _rules = None


def rule_for(person_type: str, risk: str) -> rules.Rule:
    return rule_table().get((person_type, risk), FALLBACK)


def calendar_of(person: SpecialPerson):
    """The holding center's calendar (round the clock when it has none)."""
    return clock_cache.calendar(person.center.calendar_id)


def start_cycle(person: SpecialPerson, start: datetime | None) -> None:
    """A new visit cycle from `start` (or the clock stopped, with None or when the person is not in
    care): its moments, a new cycle number, no marks. In memory; the caller saves and writes the
    schedule under the person's lock."""
    person.clock_cycle += 1
    person.clock_marks = 0
    if start is None or person.status not in rules.CLOCK_RUNS:
        person.warn_at = person.due_at = person.escalate_at = None
        return
    m = rules.visit_moments(start=start, rule=rule_for(person.person_type, person.risk), calendar=calendar_of(person))
    person.warn_at, person.due_at, person.escalate_at = m.warn_at, m.due_at, m.escalate_at


def running_moments(person) -> clock_moments.Moments | None:
    if person.status not in rules.CLOCK_RUNS or person.due_at is None:
        return None
    return clock_moments.Moments(person.warn_at or person.due_at, person.due_at, person.escalate_at or person.due_at)


def next_due(person) -> datetime | None:
    return clock_moments.next_due(running_moments(person), person.clock_marks)


def write_schedule(person: SpecialPerson) -> None:
    """The person's next moment on the schedule row (or none). The caller holds the person's lock."""
    clock_sweep.write_next_due(schedule=SCHEDULE_TABLE, key="person_id", case_id=person.pk, due=next_due(person))
