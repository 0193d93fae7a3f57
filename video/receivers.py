"""What the video app hears from other apps (connected in VideoConfig.ready)."""

from django.conf import settings


def on_alarm_event_made(sender, event_id: int, **kwargs) -> None:
    """An alarm made an event (alarms.signals.alarm_event_made, sent after the commit): the nearest
    cameras and a snapshot are attached by a Celery task (video.services.alarm_response_make), never
    in the alarm worker's batch. VIDEO_ALARM_CAMERAS = 0 turns it off."""
    if settings.VIDEO_ALARM_CAMERAS <= 0:
        return
    from .tasks import alarm_response_task

    alarm_response_task.delay(event_id)
