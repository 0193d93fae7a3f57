"""`dispute_changed` is sent after the commit of every dispute change (intake, each action, and each
batch of the sweep's clock steps and reminders).

Receivers (the live dashboards) get `dispute_ids` (a list: one case for an action, a whole batch for
the sweep) and `action` (the workflow action, or "clock" / "reminder" for the sweep's steps). A
receiver that fails is logged and never undoes the change (sent with robust on_commit)."""

import django.dispatch

dispute_changed = django.dispatch.Signal()
