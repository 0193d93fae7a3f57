"""Celery entry points: thin wrappers around the sweep driver."""

from celery import shared_task


# The task beat runs. Acknowledged after it ran (acks_late), and sent back to the queue when the process
# running it dies (reject_on_worker_lost: a prefork pool process killed mid-batch would otherwise have
# its message acknowledged as failed). A batch cut short commits nothing, and a repeat is harmless.
# tests/test_faults.py kills workers in the middle of a batch.
@shared_task(name="clocks.sweep", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_task() -> None:
    """The periodic sweep of every case type's clocks (beat runs it every few seconds). A repeat is
    harmless: each case type's steps happen once (clocks.sweep)."""
    from .sweep import sweep_all

    sweep_all()
