"""A running phase's moments and the marks that make each step happen once. Plain Python.

A case type (an event, a dispute …) runs one phase at a time. Starting a phase starts a new cycle
with three moments counted on a calendar: the warning (at a fraction of the limit), the deadline,
and the escalation a grace period later. Each step the sweep makes in a cycle is recorded once, as a
bit of the cycle's marks (and, in the case type's timeline, as a row unique per case, cycle and
mark): whatever runs twice, each step happens once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendars import ROUND_THE_CLOCK, RoundTheClock, WorkingHours

Calendar = RoundTheClock | WorkingHours


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
