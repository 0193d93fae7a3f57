"""The visit clock of a person in care and the status workflow. Plain Python, no ORM.

A person is due a visit every N days (VisitRule: type × risk level). A cycle starts at the last
visit (or when the person came into care, was found again, or their rule changed) and has the
three moments of `clocks.moments`: a warning some days before the due date, the due date, and the
escalation a grace period after it. The interval is in calendar days (a monthly visit is one every
30 days, whatever the holidays); a moment that falls outside the holding center's working time moves
to its next working moment (a due date on a Sunday becomes Monday morning), so nobody is warned or
urged on a holiday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from clocks import moments as clock_moments
from clocks.calendars import ROUND_THE_CLOCK, RoundTheClock

from ..choices import Action, Status

DAY_MINUTES = 24 * 60


class IllegalTransition(Exception):
    """The action is not possible in the person's status (answered 409)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"{action} is not possible in status {status}")
        self.status, self.action = status, action


# (status, action) -> status after it. Anything missing is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.IN_CARE, Action.VISIT): Status.IN_CARE,
    (Status.LOST, Action.VISIT): Status.LOST,  # a visit finding the person is followed by FOUND
    (Status.IN_CARE, Action.CORRECT): Status.IN_CARE,
    (Status.LOST, Action.CORRECT): Status.LOST,
    (Status.ENDED, Action.CORRECT): Status.ENDED,  # the record is corrected even after the end
    (Status.IN_CARE, Action.RISK): Status.IN_CARE,
    (Status.LOST, Action.RISK): Status.LOST,
    (Status.IN_CARE, Action.ASSIGN): Status.IN_CARE,
    (Status.LOST, Action.ASSIGN): Status.LOST,
    (Status.IN_CARE, Action.LOST_CONTACT): Status.LOST,
    (Status.LOST, Action.FOUND): Status.IN_CARE,
    (Status.IN_CARE, Action.END): Status.ENDED,
    (Status.LOST, Action.END): Status.ENDED,
}

# The visit clock runs only while the person is in care: lost contact is an alarm of its own,
# and an ended record is not visited.
CLOCK_RUNS = frozenset({Status.IN_CARE})

NOT_FOUND_TO_LOSE = 2  # "not found" at this many visits in a row means lost contact


def next_status(status: str, action: str) -> Status:
    try:
        return TRANSITIONS[(Status(status), Action(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(status, action) from None


def lost_by_visits(found_latest_first: Sequence[bool]) -> bool:
    """True when the latest NOT_FOUND_TO_LOSE visits (newest first) all failed to find the person."""
    recent = list(found_latest_first[:NOT_FOUND_TO_LOSE])
    return len(recent) == NOT_FOUND_TO_LOSE and not any(recent)


@dataclass(frozen=True)
class Rule:
    """A visit rule's numbers: every `every_days`, warned `warn_days` before, escalated
    `grace_days` after the due date."""

    every_days: int
    warn_days: int
    grace_days: int


def working_moment(calendar, at: datetime) -> datetime:
    """`at`, or the calendar's next working moment after it when `at` falls outside working time."""
    if isinstance(calendar, RoundTheClock):
        return at
    # One working minute after `at`, less that minute: `at` itself inside working time, the
    # start of the next working period otherwise.
    return calendar.add(at, 1) - timedelta(minutes=1)


def visit_moments(*, start: datetime, rule: Rule, calendar=ROUND_THE_CLOCK) -> clock_moments.Moments:
    """The warning, due and escalation moments of a visit cycle starting at `start`."""
    every = max(1, rule.every_days)
    warn_days = min(max(0, rule.warn_days), every)
    raw = clock_moments.phase_moments(
        start=start,
        minutes=every * DAY_MINUTES,
        warning_fraction=(every - warn_days) / every,
        grace_minutes=max(0, rule.grace_days) * DAY_MINUTES,
    )
    due = working_moment(calendar, raw.due_at)
    return clock_moments.Moments(
        warn_at=min(working_moment(calendar, raw.warn_at), due),
        due_at=due,
        escalate_at=max(working_moment(calendar, raw.escalate_at), due),
    )
