"""Celery entry points: thin wrappers around alarms.services."""

from celery import shared_task


# A repeat is harmless (alarms are claimed with SKIP LOCKED and processed once: processed_at), and a
# run cut short commits nothing of its batch, which the next run or the periodic pass takes again.
@shared_task(name="alarms.process", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_task() -> None:
    """Processes the alarms waiting in the outbox (the webhook asks for it after each commit)."""
    from django.core.cache import cache

    from .services import alarms_process, kick_key

    cache.delete(kick_key())  # first: an alarm stored from now on asks for a new run
    alarms_process()
