"""Celery entry points: thin wrappers around the engine."""

from celery import shared_task


@shared_task(name="events.sweep", acks_late=True, ignore_result=True)
def sweep_task() -> None:
    """The periodic sweep (beat runs it every few seconds). A repeat is harmless: see events.engine."""
    from .engine import sweep

    sweep()
