"""`event_changed` is sent after the commit of every event change (intake and each action).

Receivers (the live dashboards, notifications) get `event_id`, `action` and `action_id` (None for
the escalation engine's "clock" steps, which are written in bulk).
A receiver that fails is logged and never undoes the change (sent with robust on_commit)."""

import django.dispatch

event_changed = django.dispatch.Signal()
