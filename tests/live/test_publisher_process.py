"""The production push path, as processes: uvicorn with LIVE_PUSH=queue (a request only appends the
event's id to a Redis list), `manage.py live_publisher` as a process of its own draining that list,
and a dashboard's WebSocket, signed in with a session as the page is, that hears the report.

And test processes never push onto a running platform's queue: their key is not the platform's."""

from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from tests import processes
from tests.processes import Browser, report_body


@pytest.mark.django_db
def test_the_tests_queue_is_never_the_platforms(settings):
    """A `make run` on the same Redis uses CHANNEL_PREFIX (default "wj-asgi"): the tests' channels and
    push queue carry TEST_CHANNEL_PREFIX instead (tests/conftest.py), and the two must differ."""
    from tests.conftest import PLATFORM_CHANNEL_PREFIX
    from wenjiang_ops.live import groups, publish

    assert groups.layer_prefix() != PLATFORM_CHANNEL_PREFIX
    assert publish.queue_key() != f"{PLATFORM_CHANNEL_PREFIX}:live-queue"
    assert groups.group_channel("center.1") != f"{PLATFORM_CHANNEL_PREFIX}__group__center.1"


def test_a_process_a_test_starts_with_its_own_environment_queues_on_the_tests_key_too():
    """Tests start Celery workers, servers and commands with `os.environ` (tests/events/test_engine.py's
    real worker does): a sweep there pushes in "queue" mode, so its queue must be the tests' and not a
    running platform's (whose publisher would read those event ids in its own database)."""
    import os
    import subprocess
    import sys

    from tests.conftest import PLATFORM_CHANNEL_PREFIX, TEST_CHANNEL_PREFIX

    code = "from wenjiang_ops.live.publish import queue_key; print(queue_key())"
    child = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=processes.ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    key = child.stdout.strip().splitlines()[-1]
    assert key == f"{TEST_CHANNEL_PREFIX}:live-queue"
    assert key != f"{PLATFORM_CHANNEL_PREFIX}:live-queue"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from processes.committed_world(django_db_blocker)


def receive_event(ws, event_id: int, timeout: float) -> dict | None:
    """The first push about `event_id` within `timeout` seconds (other pushes are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            return None
        if message.get("type") == "event" and message["data"]["id"] == event_id:
            return message
    return None


def test_a_report_reaches_a_dashboard_socket_through_the_publisher_process(world, tmp_path):
    from wenjiang_ops.live import publish

    port = processes.free_port()
    env = processes.platform_env(LIVE_PUSH="queue")
    web = processes.uvicorn(port, env, log=tmp_path / "uvicorn.log")
    pusher = None
    try:
        base = f"http://127.0.0.1:{port}"
        duty = Browser(base).sign_in("duty")
        phone = Browser(base).sign_in("gridworker")
        publish.redis_client().delete(publish.queue_key())
        headers = {"Cookie": duty.cookie_header(), "Origin": base}
        with connect(f"ws://127.0.0.1:{port}/ws/dashboard/", additional_headers=headers, open_timeout=10) as ws:
            hello = json.loads(ws.recv(timeout=10))
            assert hello["type"] == "hello"

            # No publisher yet: the request only queued the push.
            status, body, _ = phone.request("POST", "/api/events/", report_body("发布进程：排队的上报"))
            assert status == 201, body
            assert receive_event(ws, body["id"], 1.5) is None
            assert publish.redis_client().llen(publish.queue_key()) == 1

            # The publisher process takes it and the socket hears it.
            pusher = processes.live_publisher(env, log=tmp_path / "publisher.log")
            message = receive_event(ws, body["id"], 20)
            assert message is not None, (tmp_path / "publisher.log").read_text(errors="replace")
            assert message["data"]["excerpt"].startswith("发布进程")
            assert message["seq"] > hello["seq"]

            # And the next report, with the publisher running, at once.
            status, body, _ = phone.request("POST", "/api/events/", report_body("发布进程：第二条"))
            assert status == 201, body
            assert receive_event(ws, body["id"], 10) is not None
        assert publish.redis_client().llen(publish.queue_key()) == 0
    finally:
        processes.end(pusher)
        processes.end(web)
