"""Celery entry points of the exports: fetch by id, call a service."""

from celery import shared_task


# A worker that dies mid-file sends the job back to the queue: it is written again from the start.
@shared_task(name="exports.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def export_run_task(job_id: int) -> None:
    from .services import export_run

    export_run(job_id=job_id)


@shared_task(name="exports.purge", ignore_result=True)
def export_purge_task() -> None:
    from .services import export_purge

    export_purge()
