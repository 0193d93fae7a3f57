"""`alarm_event_made` is sent after the commit of each event an alarm cluster made.

The extension point of the video module (issue #15: "the nearest cameras and a snapshot attached"):
a receiver gets `event_id`, `device_id`, `cluster_id` and `location` (a WGS 84 Point) and may attach
the nearest cameras and a snapshot to the event through the events app's services. Sent robustly:
a receiver that fails is logged and never undoes the event."""

import django.dispatch

alarm_event_made = django.dispatch.Signal()
