"""The Celery application: broker on Redis, tasks discovered in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenjiang_ops.settings")

app = Celery("wenjiang_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="wenjiang_ops.ping", ignore_result=False)
def ping_task() -> str:
    """Answers "pong": lets deployments and tests check that a worker is consuming."""
    return "pong"
