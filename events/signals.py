"""`event_changed` is sent after the commit of every event change (intake, each action, and each
batch of the escalation engine's clock steps).

Receivers (the live dashboards) get `event_ids` (a list: one event for an action, a whole batch for
the engine), `action` and `action_id` (the timeline row, or None for the engine's "clock" steps,
which are written in bulk). A receiver that fails is logged and never undoes the change (sent with
robust on_commit)."""

import django.dispatch

event_changed = django.dispatch.Signal()
