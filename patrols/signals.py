"""Signals of the patrols app, sent after the commit (robust: a failing receiver is logged and never
undoes the change). The realtime layer and the volunteers' points receive them; the app never
imports either.

- `patrol_changed(patrol_ids, action)`: a patrol started, moved (new track points), checked in at a
  place, or ended; `action` is one of "start", "track", "check_in", "end", "cancel".
- `patrol_ended(patrol_id, user_id)`: a patrol ended (not cancelled): points are due for it."""

import django.dispatch

patrol_changed = django.dispatch.Signal()
patrol_ended = django.dispatch.Signal()
