"""A real Celery worker consumes from the Redis broker."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from wenjiang_ops.celery import app, ping_task

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker():
    # A queue of its own, so that a worker of a running `make run` cannot take the task; the test
    # database (platform_env), so that a task reading rows reads the test's, not a development one's.
    from tests.processes import platform_env

    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wenjiang_ops",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=platform_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield queue
    process.terminate()
    process.wait(timeout=30)


def test_a_worker_answers_the_ping(worker):
    result = ping_task.apply_async(queue=worker)
    assert result.get(timeout=60) == "pong"


def test_the_broker_is_redis():
    assert app.conf.broker_url.startswith("redis://")
