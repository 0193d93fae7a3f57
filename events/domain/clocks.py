"""Deadlines from the phase limits and the center's calendar. Plain Python: the limits come in as a
mapping, the calendar as an object with `add(start, minutes)` (see calendars.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..choices import Phase
from .calendars import ROUND_THE_CLOCK, RoundTheClock, WorkingHours

# (phase, level, category_id or None, urgent) -> minutes
LimitTable = Mapping[tuple[str, str, int | None, bool], int]

PHASES = (Phase.ACCEPT, Phase.SIGN, Phase.HANDLE, Phase.VERIFY)


class MissingLimit(LookupError):
    """No limit row applies: the administrators must add one."""


Calendar = RoundTheClock | WorkingHours


def limit_minutes(limits: LimitTable, *, phase: str, level: str, category_chain: Sequence[int], urgent: bool) -> int:
    """The most specific limit: the category's own, then each ancestor's, then the default row.

    `category_chain` is the category id followed by its ancestors' ids, nearest first."""
    for category_id in [*category_chain, None]:
        minutes = limits.get((str(phase), str(level), category_id, bool(urgent)))
        if minutes is not None:
            return minutes
    raise MissingLimit(f"no {phase} limit for level {level}, category {category_chain[:1]}, urgent={urgent}")


def phase_due(
    limits: LimitTable,
    *,
    phase: str,
    level: str,
    category_chain: Sequence[int],
    urgent: bool,
    start: datetime,
    calendar: Calendar = ROUND_THE_CLOCK,
) -> datetime:
    minutes = limit_minutes(limits, phase=phase, level=level, category_chain=category_chain, urgent=urgent)
    return calendar.add(start, minutes)


def overall_deadline(
    limits: LimitTable,
    *,
    level: str,
    category_chain: Sequence[int],
    urgent: bool,
    start: datetime,
    calendar: Calendar = ROUND_THE_CLOCK,
) -> datetime:
    """The deadline for the whole event (办结时限): the four phases' limits end to end."""
    total = sum(
        limit_minutes(limits, phase=p, level=level, category_chain=category_chain, urgent=urgent) for p in PHASES
    )
    return calendar.add(start, total)


@dataclass(frozen=True)
class Moments:
    """The three moments of a running phase: the warning, the deadline, the automatic escalation."""

    warn_at: datetime
    due_at: datetime
    escalate_at: datetime


def phase_moments(
    *, start: datetime, minutes: int, warning_fraction: float, grace_minutes: int, calendar: Calendar = ROUND_THE_CLOCK
) -> Moments:
    """At `warning_fraction` of the limit a warning, at the limit the deadline, `grace_minutes`
    later the escalation; all counted on `calendar`."""
    due_at = calendar.add(start, minutes)
    return Moments(
        warn_at=calendar.add(start, minutes * warning_fraction),
        due_at=due_at,
        escalate_at=calendar.add(due_at, grace_minutes),
    )


WARN, OVERDUE, ESCALATE = 1, 2, 4  # the marks of a phase cycle, as bits


def next_due(moments_or_none, marks: int) -> datetime | None:
    """The next moment the sweep must act on, given the marks already made in this cycle."""
    if moments_or_none is None:
        return None
    m = moments_or_none
    for bit, at in ((WARN, m.warn_at), (OVERDUE, m.due_at), (ESCALATE, m.escalate_at)):
        if not marks & bit:
            return at
    return None


def due_marks(m: Moments, marks: int, now: datetime) -> list[int]:
    """The marks whose moment has come and that are not made yet, in order."""
    return [
        bit
        for bit, at in ((WARN, m.warn_at), (OVERDUE, m.due_at), (ESCALATE, m.escalate_at))
        if not marks & bit and at <= now
    ]
