"""The events' clocks: the reference data they count with (phase limits, warning policies and
categories, cached briefly per process; the calendars are the shared clocks.cache), and the scheduling
of one event: a phase's moments on its holding center's calendar, the overall deadline, and the
sweep's next moment (the schedule row, written through clocks.sweep).

The workflow (events.services) calls these when an action starts, stops or shifts a clock; the
escalation engine (events.engine) when a step is made. Plain arithmetic lives in events.domain.clocks
and, shared by every case type, in clocks.moments and clocks.calendars.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clocks import cache as clock_cache
from clocks import sweep as clock_sweep
from grids.models import Center

from .choices import Light, Phase
from .domain import clocks, states
from .models import ClockPolicy, Event, EventCategory, PhaseLimit

_CACHE_SECONDS = 30.0
SCHEDULE_TABLE = "events_eventschedule"  # EventSchedule: the sweep's index of moments pending


# --- reference data, cached briefly per process (limits and categories are edited rarely) ----------


@dataclass
class _Reference:
    loaded: float
    limits: dict[tuple[str, str, int | None, bool], int]
    categories: dict[int, EventCategory]
    policies: dict[str, tuple[float, int]]  # level -> (warning fraction, grace minutes)


_reference: _Reference | None = None


def reference(*, fresh: bool = False) -> _Reference:
    """Phase limits, warning policies and categories, reloaded at most every 30 s (or on demand; the
    calendars are clocks.cache's, reloaded with them when `fresh`)."""
    global _reference
    if fresh or _reference is None or time.monotonic() - _reference.loaded > _CACHE_SECONDS:
        limits = {
            (phase, level, category_id, urgent): minutes
            for phase, level, category_id, urgent, minutes in PhaseLimit.objects.values_list(
                "phase", "level", "category_id", "urgent", "minutes"
            )
        }
        categories = {c.pk: c for c in EventCategory.objects.all()}
        policies = {
            level: (fraction, grace)
            for level, fraction, grace in ClockPolicy.objects.values_list("level", "warning_fraction", "grace_minutes")
        }
        if fresh:
            clock_cache.calendars(fresh=True)
        _reference = _Reference(time.monotonic(), limits, categories, policies)
    return _reference


DEFAULT_POLICY = (0.7, 60)


def calendar_of(center: Center):
    """The calendar a center counts time on (round the clock when it has none)."""
    return clock_cache.calendar(center.calendar_id)


def reference_changed(**kwargs) -> None:
    global _reference
    _reference = None
    clock_cache.invalidate()


def category_chain(category_id: int) -> list[int]:
    """The category and its ancestors, nearest first."""
    categories = reference().categories
    chain, current = [], categories.get(category_id)
    while current is not None and len(chain) < 10:
        chain.append(current.pk)
        current = categories.get(current.parent_id) if current.parent_id else None
    return chain


def limit(event: Event, phase: str) -> int:
    try:
        return clocks.limit_minutes(
            reference().limits,
            phase=phase,
            level=event.level,
            category_chain=category_chain(event.category_id),
            urgent=event.urgent,
        )
    except clocks.MissingLimit as exc:
        raise ValidationError(
            {"category": _("No time limit is configured for this category: %(e)s") % {"e": exc}}
        ) from None


def start_phase(event: Event, phase: Phase | None, now: datetime) -> None:
    """Starts the clock of `phase` (or stops the clocks): a new cycle with its warning, deadline
    and escalation moments on the holding center's calendar (the sweep's next moment follows:
    see `next_due`)."""
    event.phase = phase or ""
    event.phase_started_at = now if phase else None
    event.clock_cycle += 1
    event.clock_marks = 0
    if not phase:
        event.warn_at = event.due_at = event.escalate_at = None
        return
    fraction, grace = reference().policies.get(event.level, DEFAULT_POLICY)
    moments = clocks.phase_moments(
        start=now,
        minutes=limit(event, phase),
        warning_fraction=fraction,
        grace_minutes=grace,
        calendar=calendar_of(event.center),
    )
    event.warn_at, event.due_at, event.escalate_at = moments.warn_at, moments.due_at, moments.escalate_at
    event.light = Light.GREEN


def running_moments(event: Event) -> clocks.Moments | None:
    if not event.phase or event.due_at is None:
        return None
    return clocks.Moments(event.warn_at or event.due_at, event.due_at, event.escalate_at or event.due_at)


def shift_clocks(event: Event, delta: timedelta) -> None:
    """Moves the running phase's moments and the deadline (suspension, extension)."""
    for name in ("warn_at", "due_at", "escalate_at", "deadline"):
        value = getattr(event, name)
        if value is not None:
            setattr(event, name, value + delta)


def next_due(event) -> datetime | None:
    """The escalation engine's next moment for `event` (an Event or the engine's claimed row): the
    first of its running phase's moments not yet marked; none while it is suspended or closed."""
    moments = running_moments(event)
    if moments is None or event.state not in states.OPEN_STATES:  # running: neither suspended nor final
        return None
    return clocks.next_due(moments, event.clock_marks)


def write_schedule(event: Event) -> None:
    """Writes the event's next moment to its schedule row, or removes the row when no moment is
    pending. The caller holds the event's row lock (the engine takes it before the schedule's)."""
    clock_sweep.write_next_due(schedule=SCHEDULE_TABLE, key="event_id", case_id=event.pk, due=next_due(event))


def restart_deadline(event: Event, now: datetime) -> None:
    total = sum(limit(event, phase) for phase in clocks.PHASES)
    event.deadline = calendar_of(event.center).add(now, total)
