"""Signals of the disputes app, sent after the commit (robust: a failing receiver is logged and never
undoes the change). The realtime layer receives them; the app never imports it.

- `dispute_changed(dispute_ids, action)`: every change of a case (intake, each action: `action` is
  its code; each batch of the sweep's clock steps and reminders: "clock" / "reminder").
- `dispute_alarm(dispute_id)`: a case showed signs of turning criminal (民转刑) or of a group
  dispute: the dashboards' alarm channel."""

import django.dispatch

dispute_changed = django.dispatch.Signal()
dispute_alarm = django.dispatch.Signal()
