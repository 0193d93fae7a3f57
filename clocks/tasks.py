"""Celery entry points: thin wrappers around the sweep driver."""

from celery import shared_task


@shared_task(name="clocks.sweep", acks_late=True, ignore_result=True)
def sweep_task() -> None:
    """The periodic sweep of every case type's clocks (beat runs it every few seconds). A repeat is
    harmless: each case type's steps happen once (clocks.sweep)."""
    from .sweep import sweep_all

    sweep_all()
