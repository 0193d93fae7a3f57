"""Receivers of the other apps' signals (connected in ForceConfig.ready): the points follow what
happens to reports and patrols. Both signals are sent after the commit, robustly: a failure here
is logged by the sender and never undoes the event's or patrol's change; `points_rebuild` mends
the ledger afterwards."""

from __future__ import annotations

import logging

from . import services

log = logging.getLogger(__name__)


def on_event_changed(sender, event_ids, action, **kwargs) -> None:
    # The engine's clock steps (warnings, escalations) never change what a report is worth.
    if action not in services.POINT_ACTIONS:
        return
    # Caught here: other receivers of the same signal (the live dashboards) must still run.
    try:
        services.points_for_events(event_ids=list(event_ids))
    except Exception:
        log.exception("points of events %s after %s not written (points_rebuild mends it)", event_ids, action)


def on_patrol_ended(sender, patrol_id, user_id=None, **kwargs) -> None:
    try:
        services.points_for_patrol(patrol_id=patrol_id)
    except Exception:
        log.exception("points of patrol %s not written (points_rebuild mends it)", patrol_id)
