"""What one alarm does: plain Python over plain facts, no ORM (tests/alarms/test_domain.py).

Alarms of one device and type close together are one event: a new alarm joins the event of the
latest cluster while that event is open and the alarm comes within the cluster window of its last
one. Below the type's threshold (N alarms within the threshold window) alarms only count; the N-th
makes the event. In quiet hours an alarm makes nothing new (it still joins an open event: it is the
same thing going on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum


class Outcome(StrEnum):
    JOIN = "join"  # recorded on the open event's timeline
    EVENT = "event"  # makes the event (the cluster reached the threshold)
    COUNT = "count"  # counted in a pending cluster, below the threshold
    QUIET = "quiet"  # quiet hours: kept, nothing made


@dataclass(frozen=True)
class Rule:
    threshold: int
    threshold_window: timedelta
    cluster_window: timedelta
    quiet_from: time | None = None
    quiet_to: time | None = None


@dataclass(frozen=True)
class Cluster:
    """The latest cluster of the device and type."""

    has_event: bool
    event_open: bool
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    new_cluster: bool  # a new cluster starts with this alarm (else the latest one moves)


def in_quiet_hours(rule: Rule, local: time) -> bool:
    """Whether `local` (the center's wall clock) falls in the quiet hours; they may run across
    midnight (22:00 → 06:00). Equal ends mean no quiet hours."""
    start, end = rule.quiet_from, rule.quiet_to
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def decide(rule: Rule, latest: Cluster | None, at: datetime, local: time) -> Decision:
    """What the alarm at `at` (`local`: its wall-clock time) does, given the latest cluster."""
    if latest is not None and latest.has_event and latest.event_open and at - latest.last_seen <= rule.cluster_window:
        return Decision(Outcome.JOIN, new_cluster=False)
    if in_quiet_hours(rule, local):
        return Decision(Outcome.QUIET, new_cluster=False)
    pending = latest is not None and not latest.has_event and at - latest.first_seen <= rule.threshold_window
    count = latest.count + 1 if pending else 1
    outcome = Outcome.EVENT if count >= rule.threshold else Outcome.COUNT
    return Decision(outcome, new_cluster=not pending)
