"""Alarms tests: the demo's sources and devices (seeded with the demo), a known secret, and signed posts."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.utils import timezone

from alarms import services
from alarms.models import Device, Source
from wenjiang_ops.signing import sign


@pytest.fixture(autouse=True)
def alarms_apart(settings, monkeypatch):
    """No Celery kick (a test runs the processing itself, as a worker would) nor the video app's task
    for the events made (tests/video/test_alarm_response.py), fresh cache keys and configs in every test."""
    settings.ALARMS_KICK = False
    settings.VIDEO_ALARM_CAMERAS = 0
    # And a worker a test starts (test_worker.py) queues no video task onto the broker's shared default
    # queue, where no one of the test's would take it (a `make run` worker of this checkout might).
    monkeypatch.setenv("VIDEO_ALARM_CAMERAS", "0")
    monkeypatch.setattr(services, "CACHE_NAMESPACE", f"alarms-test-{uuid.uuid4().hex}")
    services.config_forget()
    yield
    services.config_forget()


@pytest.fixture
def face(db):
    """The demo's face-gate source with a secret the test knows."""
    source = Source.objects.get(code="safe-compound")
    source.known_secret = services.source_secret_reset(source=source)
    return source


@pytest.fixture
def device(face):
    return Device.objects.filter(source=face, center__isnull=False).select_related("center", "grid").order_by("pk")[0]


def body_for(device: Device, alarm_type: str = "watchlist", **overrides) -> dict:
    body = {
        "alarm_id": uuid.uuid4().hex,
        "device": device.code,
        "type": alarm_type,
        "occurred_at": timezone.localtime().isoformat(),
        "message": "抓拍比对命中",
        "data": {"similarity": 0.93, "person_tag": "重点人员", "gate": "东门"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def post(client):
    """Posts a body (dict or bytes) signed with `secret` to the source's webhook."""

    def send(source: Source, body, *, secret=None, timestamp=None, signature=None, addr="127.0.0.1", headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        ts = str(int(time.time())) if timestamp is None else str(timestamp)
        extra = {"REMOTE_ADDR": addr}
        if signature is not False:
            extra["HTTP_X_ALARM_TIMESTAMP"] = ts
            extra["HTTP_X_ALARM_SIGNATURE"] = signature or sign(secret or source.known_secret, ts, raw)
        extra.update(headers or {})
        return client.post(f"/api/alarms/{source.code}/", data=raw, content_type="application/json", **extra)

    return send
