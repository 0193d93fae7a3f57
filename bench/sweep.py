"""Escalation sweep benchmark (`make bench-sweep`).

In the benchmark database, 1,000,000 open events of which 10,000 are due (their warning moment has
passed): one sweep to completion, end to end (claim, decide, timeline rows, marks, inbox messages),
beside ONE raw SQL statement that updates the same rows (UPDATE … FROM (SELECT … FOR UPDATE SKIP
LOCKED)) in the same run; then an idle tick with nothing due; and the process's memory.
The last line is one JSON object.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, django_setup, prepare_database

OPEN = 1_000_000
DUE = 10_000

PREPARE = """
UPDATE events_event SET state = 'reported', phase = 'accept', light = 'green', supervision = 'none',
    clock_cycle = clock_cycle + 1, clock_marks = 0, closed_at = NULL, suspended_at = NULL,
    phase_started_at = %(now)s - interval '1 hour', warn_at = %(now)s + interval '30 days',
    due_at = %(now)s + interval '31 days', escalate_at = %(now)s + interval '32 days',
    next_due_at = %(now)s + interval '30 days'
WHERE state <> 'reported' OR clock_marks <> 0 OR next_due_at IS NULL OR next_due_at < %(now)s + interval '1 day'
"""
MAKE_DUE = """
UPDATE events_event SET warn_at = %(now)s - interval '1 minute', next_due_at = %(now)s - interval '1 minute'
WHERE id IN (SELECT id FROM events_event ORDER BY md5(id::text) LIMIT %(due)s)
"""
RAW = """
UPDATE events_event e SET light = 'yellow', supervision = 'urge', clock_marks = e.clock_marks | 1,
    next_due_at = e.due_at, updated_at = %(now)s
FROM (SELECT id FROM events_event WHERE next_due_at IS NOT NULL AND next_due_at <= %(now)s
      ORDER BY next_due_at LIMIT %(due)s FOR UPDATE SKIP LOCKED) d
WHERE e.id = d.id
"""


def main() -> None:
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    subprocess.run([PYTHON, str(ROOT / "bench" / "make_events.py"), str(OPEN)], check=True)
    django_setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Notification
    from events.engine import sweep
    from events.models import ClockMark, EventAction
    from events.services import reference

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grids_center SET calendar_id = NULL")
        cursor.execute(PREPARE, {"now": now})
        cursor.execute("SELECT count(*) FROM events_event WHERE next_due_at IS NOT NULL")
        open_events = cursor.fetchone()[0]
        cursor.execute("VACUUM ANALYZE events_event") if not connection.in_atomic_block else None
    reference(fresh=True)

    def make_due():
        with connection.cursor() as cursor:
            cursor.execute(MAKE_DUE, {"now": now, "due": DUE})

    # 1. the raw statement, alone
    make_due()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(RAW, {"now": now, "due": DUE})
        raw_rows = cursor.rowcount
    raw_s = time.perf_counter() - started

    # 2. the sweep, end to end, on the same kind of rows
    with connection.cursor() as cursor:
        cursor.execute(PREPARE, {"now": now})
    make_due()
    marks, rows, inbox = ClockMark.objects.count(), EventAction.objects.count(), Notification.objects.count()
    started = time.perf_counter()
    result = sweep(now=now)
    sweep_s = time.perf_counter() - started
    new_marks = ClockMark.objects.count() - marks
    new_rows = EventAction.objects.count() - rows
    new_inbox = Notification.objects.count() - inbox

    # 3. an idle tick: nothing due
    ticks = []
    for _ in range(20):
        started = time.perf_counter()
        idle = sweep(now=now)
        ticks.append(time.perf_counter() - started)
        assert idle.events == 0
    idle_ms = sorted(ticks)[len(ticks) // 2] * 1000
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"open events {open_events}, due {DUE}")
    print(
        f"sweep   {sweep_s:.2f} s: {result.events} events, {result.warnings} warnings, {new_marks} marks, "
        f"{new_rows} timeline rows, {new_inbox} inbox messages, {result.batches} batches"
    )
    print(f"raw SQL {raw_s:.2f} s: {raw_rows} rows in one UPDATE … FOR UPDATE SKIP LOCKED")
    print(f"idle tick {idle_ms:.1f} ms (median of 20); process max RSS {rss_mb:.0f} MB")
    print(
        json.dumps(
            {
                "bench": "sweep",
                "open": open_events,
                "due": DUE,
                "sweep_s": round(sweep_s, 3),
                "raw_sql_s": round(raw_s, 3),
                "ratio": round(sweep_s / raw_s, 2),
                "idle_tick_ms": round(idle_ms, 1),
                "worker_rss_mb": round(rss_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
