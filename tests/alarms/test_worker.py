"""A real Celery worker takes the task the webhook asks for and turns the committed alarm into an event."""

import json
import time
import uuid

import pytest
from django.utils import timezone

from alarms import services
from alarms.models import Alarm, Device, Source
from tests.processes import committed_world as _committed_world
from tests.processes import wait_until
from tests.test_celery import worker  # noqa: F401
from wenjiang_ops.signing import sign


@pytest.fixture(scope="module")
def committed(django_db_setup, django_db_blocker):
    yield from _committed_world(django_db_blocker)


def test_a_real_worker_processes_what_the_webhook_stored(committed, worker, django_db_blocker):  # noqa: F811
    from alarms.tasks import process_task

    with django_db_blocker.unblock():
        services.config_forget()
        source = Source.objects.get(code="safe-compound")
        secret = services.source_secret_reset(source=source)
        device = Device.objects.filter(source=source, center__isnull=False).order_by("pk").first()
        body = json.dumps(
            {
                "alarm_id": uuid.uuid4().hex,
                "device": device.code,
                "type": "watchlist",
                "occurred_at": timezone.localtime().isoformat(),
                "data": {"similarity": 0.95},
            }
        ).encode()
        stamp = str(int(time.time()))
        answer, created = services.alarm_receive(
            source_code=source.code,
            body=body,
            timestamp=stamp,
            signature=sign(secret, stamp, body),
            remote_addr="127.0.0.1",
        )
        assert created and Alarm.objects.get(pk=answer["id"]).processed_at is None
        try:
            process_task.apply_async(queue=worker)  # what the webhook's kick sends, on the test's own queue
            wait_until(
                lambda: Alarm.objects.filter(pk=answer["id"], processed_at__isnull=False).exists(),
                timeout=90,
                what="the worker to process the alarm",
            )
            alarm = Alarm.objects.select_related("cluster__event").get(pk=answer["id"])
            assert alarm.status == "event", (alarm.status, alarm.cluster_id)
            assert alarm.cluster.event.source == "iot"
            assert alarm.cluster.event.actions.get().data["alarms"] == [alarm.pk]
        finally:
            Alarm.objects.filter(pk=answer["id"]).delete()
