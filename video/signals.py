"""Signals of the video app, sent after the commit (robust: a failing receiver is logged and never
undoes the change). The realtime layer and the dashboards listen; the app never imports them.

camera_status_changed(sender=Camera, changes=[{"camera": id, "center": id, "network": str,
                                              "from": status, "to": status, "at": iso}])
"""

import django.dispatch

camera_status_changed = django.dispatch.Signal()
