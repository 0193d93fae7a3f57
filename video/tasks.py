"""Celery entry points of the video app: call a service, nothing else."""

from celery import shared_task


# Every VIDEO_POLL_SECONDS (beat "video-poll"): the media servers' streams and segment freshness,
# then the cameras' status; the viewings whose player vanished are closed. A repeat is harmless.
@shared_task(name="video.poll", ignore_result=True)
def poll_task() -> None:
    from .services import servers_poll, viewings_close_idle

    servers_poll()
    viewings_close_idle()


# Queued by the receiver of alarms.signals.alarm_event_made (video.receivers). A repeat is harmless: the
# response is made once per event (its row, committed with the timeline steps), so a retry after a lost
# worker completes what the first run did not commit.
@shared_task(name="video.alarm_response", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def alarm_response_task(event_id: int) -> None:
    from .services import alarm_response_make

    alarm_response_make(event_id=event_id)
