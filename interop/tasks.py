"""Celery entry points of the hotline hand-off: fetch by id, call the service, nothing else."""

from celery import shared_task

from . import hotline


@shared_task(name="interop.hotline_deliver", ignore_result=True)
def hotline_deliver_task(callback_id: int) -> None:
    hotline.callback_deliver(callback_id)


@shared_task(name="interop.hotline_sweep", ignore_result=True)
def hotline_sweep_task() -> None:
    hotline.hotline_sweep()
