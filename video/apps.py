from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "video"
    verbose_name = _("Video")

    def ready(self) -> None:
        from alarms.signals import alarm_event_made
        from inbox import kinds

        from . import notify, receivers
        from .signals import camera_status_changed

        kinds.register({notify.KIND_OFFLINE: _("Cameras offline")})
        camera_status_changed.connect(notify.on_camera_status_changed, dispatch_uid="video_offline_inbox")
        alarm_event_made.connect(receivers.on_alarm_event_made, dispatch_uid="video_alarm_response")
