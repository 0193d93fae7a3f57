"""Celery entry points of the video app: call a service, nothing else."""

from celery import shared_task


# Every VIDEO_POLL_SECONDS (beat "video-poll"): the media servers' streams and segment freshness,
# then the cameras' status; the viewings whose player vanished are closed. A repeat is harmless.
@shared_task(name="video.poll", ignore_result=True)
def poll_task() -> None:
    from .services import servers_poll, viewings_close_idle

    servers_poll()
    viewings_close_idle()
