"""The platform's Celery app for the fault tests' workers (`celery -A tests.celery_slow_sweep worker`):
the same tasks, with one test hook. The first sweep batch that finds SWEEP_MARKER absent writes it
(with its process id) and then sleeps SWEEP_PAUSE_SECONDS, after its claim, inside the batch's
transaction, holding the claimed rows' locks: a test kills the worker there, "in the middle of a batch".

The broker is the test's private redis-server, with a short visibility timeout so that a message left
unacknowledged by a killed worker is delivered again within seconds (the platform keeps kombu's hour:
there the next beat tick, SWEEP_SECONDS later, sweeps the same events anyway)."""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from wenjiang_ops.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": float(os.environ.get("TEST_VISIBILITY_TIMEOUT", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


@task_prerun.connect
def _hold_the_first_batch(**kwargs) -> None:
    from events import engine

    if getattr(engine._process, "held", False):
        return
    real = engine._process
    marker = Path(os.environ["SWEEP_MARKER"])

    def held(rows, now, result):
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(float(os.environ.get("SWEEP_PAUSE_SECONDS", "120")))
        return real(rows, now, result)

    held.held = True
    engine._process = held
