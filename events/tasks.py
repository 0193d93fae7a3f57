"""Celery entry points: thin wrappers around the engine."""

from celery import shared_task


# Acknowledged after it ran (acks_late), and sent back to the queue when the process running it dies
# (reject_on_worker_lost: a prefork pool process killed mid-batch would otherwise have its message
# acknowledged as failed). A batch cut short commits nothing (PostgreSQL rolls it back when the
# connection drops), and a repeat is harmless: see events.engine. tests/test_faults.py kills workers.
@shared_task(name="events.sweep", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_task() -> None:
    """The events' sweep alone. Beat now runs `clocks.sweep` (every case type's clocks); this name stays
    for the messages a broker still holds from before. A repeat is harmless: see events.engine."""
    from .engine import sweep

    sweep()
