"""Signals of the care app, sent after the commit (robust). The realtime layer receives them; the
app never imports it.

- `care_changed(person_ids, action)`: a record changed (a visit, an action, a batch of clock steps:
  "clock").
- `care_alarm(person_id, kind)`: the dashboards' alarm channel: "lost_contact" (失联, urgent) or
  "escalated" (a visit long overdue)."""

import django.dispatch

care_changed = django.dispatch.Signal()
care_alarm = django.dispatch.Signal()
