"""The events' limits: which phase limit applies, and the deadlines it gives. Plain Python: the limits
come in as a mapping, the calendar as an object with `add(start, minutes)` (clocks.calendars). The
moments of a running phase and its marks are shared by every case type: clocks.moments (re-exported
here for the events' code)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from clocks.calendars import ROUND_THE_CLOCK
from clocks.moments import ESCALATE, OVERDUE, WARN, Calendar, Moments, due_marks, next_due, phase_moments

from ..choices import Phase

__all__ = [
    "ESCALATE",
    "OVERDUE",
    "PHASES",
    "WARN",
    "MissingLimit",
    "Moments",
    "due_marks",
    "limit_minutes",
    "next_due",
    "overall_deadline",
    "phase_due",
    "phase_moments",
]

# (phase, level, category_id or None, urgent) -> minutes
LimitTable = Mapping[tuple[str, str, int | None, bool], int]

PHASES = (Phase.ACCEPT, Phase.SIGN, Phase.HANDLE, Phase.VERIFY)


class MissingLimit(LookupError):
    """No limit row applies: the administrators must add one."""


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
