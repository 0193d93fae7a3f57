"""Celery entry points: thin wrappers around the engine."""

from celery import shared_task


@shared_task(name="events.sweep", acks_late=True, ignore_result=True)
def sweep_task() -> None:
    """The events' sweep alone. Beat now runs `clocks.sweep` (every case type's clocks); this name stays
    for the messages a broker still holds from before. A repeat is harmless: see events.engine."""
    from .engine import sweep

    sweep()
