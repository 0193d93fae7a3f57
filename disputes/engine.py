"""Placeholder until the sweep lands (branch engine): escalation and reminders."""

from __future__ import annotations

from datetime import datetime

from . import clocks


def escalate_to_parent(dispute, *, now: datetime) -> bool:
    parent = dispute.center.parent
    if parent is None:
        return False
    dispute.center = parent
    dispute.level = parent.level
    dispute.escalations += 1
    if dispute.phase:
        clocks.start_phase(dispute, dispute.phase, now)
    return True


def reminders_plan(dispute, *, now: datetime) -> None:
    return None


def reminders_cancel(dispute, kind=None, key=None) -> None:
    return None
