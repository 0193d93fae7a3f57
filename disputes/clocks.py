"""The disputes' clocks: the limits they count with (DisputeLimit, cached briefly per process; the
calendars are the shared clocks.cache), and the scheduling of one case: a phase's moments, the
mediation deadline, and the sweep's next moment (the schedule row, written through clocks.sweep).

The workflow (disputes.services) calls these when an action starts, stops or shifts a clock; the
sweep (disputes.engine) when a step is made. The arithmetic is the shared clocks.moments and
clocks.calendars.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clocks import cache as clock_cache
from clocks import moments as clock_moments
from clocks import sweep as clock_sweep
from clocks.calendars import ROUND_THE_CLOCK

from .choices import Light, Phase
from .domain import states
from .models import Dispute, DisputeLimit

SCHEDULE_TABLE = "disputes_disputeschedule"
_CACHE_SECONDS = 30.0

_limits: tuple[float, dict[tuple[str, str], DisputeLimit]] | None = None


def limits(*, fresh: bool = False) -> dict[tuple[str, str], DisputeLimit]:
    """(phase, level) -> DisputeLimit, reloaded at most every 30 s (or on demand)."""
    global _limits
    if fresh or _limits is None or time.monotonic() - _limits[0] > _CACHE_SECONDS:
        _limits = (time.monotonic(), {(row.phase, row.level): row for row in DisputeLimit.objects.all()})
    return _limits[1]


def limits_changed(**kwargs) -> None:
    global _limits
    _limits = None


def limit_of(phase: str, level: str) -> DisputeLimit:
    row = limits().get((phase, level))
    if row is None:
        raise ValidationError(
            {"phase": _("No dispute time limit is configured for %(phase)s at this level.") % {"phase": phase}}
        )
    return row


def calendar_for(dispute: Dispute, row: DisputeLimit):
    """The center's calendar for a limit counted in working time; every minute otherwise."""
    return clock_cache.calendar(dispute.center.calendar_id) if row.working_time else ROUND_THE_CLOCK


def start_phase(dispute: Dispute, phase: Phase | str | None, now: datetime) -> None:
    """Starts the clock of `phase` (or stops the clocks): a new cycle with its warning, deadline and
    escalation moments at the holding center's level. Starting the mediation also sets the
    mediation deadline (extensions move it: `extend`)."""
    dispute.phase = phase or ""
    dispute.phase_started_at = now if phase else None
    dispute.clock_cycle += 1
    dispute.clock_marks = 0
    if not phase:
        dispute.warn_at = dispute.due_at = dispute.escalate_at = None
        return
    row = limit_of(phase, dispute.level)
    m = clock_moments.phase_moments(
        start=now,
        minutes=row.minutes,
        warning_fraction=row.warning_fraction,
        grace_minutes=row.grace_minutes,
        calendar=calendar_for(dispute, row),
    )
    dispute.warn_at, dispute.due_at, dispute.escalate_at = m.warn_at, m.due_at, m.escalate_at
    dispute.light = Light.GREEN
    if phase == Phase.MEDIATE:
        dispute.mediation_due = m.due_at


def shift_clocks(dispute: Dispute, delta: timedelta) -> None:
    """Moves the running phase's moments and the mediation deadline (a suspension's time, an
    extension)."""
    for name in ("warn_at", "due_at", "escalate_at", "mediation_due"):
        value = getattr(dispute, name)
        if value is not None:
            setattr(dispute, name, value + delta)


def running_moments(dispute) -> clock_moments.Moments | None:
    if not dispute.phase or dispute.due_at is None:
        return None
    return clock_moments.Moments(
        dispute.warn_at or dispute.due_at, dispute.due_at, dispute.escalate_at or dispute.due_at
    )


def next_due(dispute) -> datetime | None:
    """The sweep's next moment for the case: the first of its running phase's moments not yet
    marked; none while suspended, after the agreement or once final."""
    m = running_moments(dispute)
    if m is None or states.PHASE_OF_STATE.get(dispute.state) is None:
        return None
    return clock_moments.next_due(m, dispute.clock_marks)


def write_schedule(dispute: Dispute) -> None:
    """The case's next moment on its schedule row (or none). The caller holds the case's row lock."""
    clock_sweep.write_next_due(schedule=SCHEDULE_TABLE, key="dispute_id", case_id=dispute.pk, due=next_due(dispute))
