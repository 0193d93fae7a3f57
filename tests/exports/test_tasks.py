"""The export task survives a dying worker: it is acknowledged after it ran and sent back to the queue
when its process dies (a repeat writes the file again from the start: tests/events/test_background_export)."""

from exports.tasks import export_purge_task, export_run_task
from wenjiang_ops.celery import app


def test_the_export_task_is_sent_back_when_its_worker_dies():
    assert export_run_task.name == "exports.run"
    assert export_run_task.acks_late and export_run_task.reject_on_worker_lost


def test_beat_purges_the_expired_exports():
    from django.conf import settings

    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert export_purge_task.name in entries
    assert export_purge_task.name in app.tasks
