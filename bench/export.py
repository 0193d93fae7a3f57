"""Export benchmark (`make bench-export`).

The demo district's year of events (`make run`'s database: 26,201 events, loaded by seed_demo) exported
to .xlsx as the district's duty officer asks for it, through the real path a background export takes
(`exports.services.export_run`: the scope, the list's filters, the write-only workbook written to a
temporary file and stored, progress written as it goes, the inbox message), beside a bare openpyxl
write-only dump of the same rows and columns from one SQL query (psycopg2 cursor, no scope, no labels,
no formula guard) in the same process and run.

The workload is checked: both write the same number of rows, at least 26,000. The database is brought
to a steady state (VACUUM ANALYZE) and each side runs once before timing; then they alternate, RUNS times
each. Rates are rows per second (median run); the last line is JSON with `ratio` (ours ÷ bare, target ≥ 0.5).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenjiang_ops.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LIVE_PUSH", "off")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from accounts.models import User  # noqa: E402
from exports.services import export_run, export_start  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MIN_ROWS = 26_000
OFFICER = "duty"

BARE_SQL = """
SELECT e.id, e.created_at AT TIME ZONE 'Asia/Shanghai', c.name, p.name, e.description, e.address, g.name,
       h.name, e.level, e.state, e.urgent, e.source, e.light, e.supervision,
       e.deadline AT TIME ZONE 'Asia/Shanghai', e.closed_at AT TIME ZONE 'Asia/Shanghai'
FROM events_event e
JOIN events_eventcategory c ON c.id = e.category_id
LEFT JOIN events_eventcategory p ON p.id = c.parent_id
LEFT JOIN grids_grid g ON g.id = e.grid_id
JOIN grids_center h ON h.id = e.center_id
ORDER BY e.created_at DESC, e.id DESC
"""


def bare() -> tuple[int, float]:
    """One query, every row straight into a write-only workbook."""
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)
        while chunk := cursor.fetchmany(2000):
            for row in chunk:
                sheet.append(row)
            rows += len(chunk)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
    return rows, time.perf_counter() - started


def ours(user) -> tuple[int, float]:
    """The background export of the district's whole list (no filters), as the worker runs it."""
    started = time.perf_counter()
    job = export_start(user=user, kind="events", params={"query": ""}, rows_total=None)
    job = export_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    if job.state != "done":
        sys.exit(f"the export failed: {job.error}")
    job.file.delete(save=False)
    job.delete()
    return job.rows_done, elapsed


def main() -> None:
    user = User.objects.filter(username=OFFICER).first()
    if user is None:
        sys.exit("No demo data: run `make run` (or `DEBUG=1 manage.py seed_demo`) first.")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event")
    print(f"Workload: the district's events as {OFFICER} sees them, every column of the list's export.")
    ours(user)
    bare()  # warm-up: caches, imports
    ours_runs, bare_runs = [], []
    for _k in range(RUNS):
        ours_rows, seconds = ours(user)
        ours_runs.append(seconds)
        bare_rows, seconds = bare()
        bare_runs.append(seconds)
        if ours_rows != bare_rows or ours_rows < MIN_ROWS:
            sys.exit(f"Workload mismatch: ours {ours_rows} rows, bare {bare_rows} (need >= {MIN_ROWS}).")
    ours_s, bare_s = statistics.median(ours_runs), statistics.median(bare_runs)
    ours_rate, bare_rate = ours_rows / ours_s, bare_rows / bare_s
    ratio = ours_rate / bare_rate
    print(f"rows: {ours_rows:,}")
    print(f"ours (export job): {ours_s:.2f} s = {ours_rate:,.0f} rows/s")
    print(f"bare openpyxl dump of one query: {bare_s:.2f} s = {bare_rate:,.0f} rows/s")
    print(f"ratio ours / bare: {ratio:.2f} (target >= 0.5) {'PASS' if ratio >= 0.5 else 'FAIL'}")
    print(
        json.dumps(
            {
                "bench": "export",
                "rows": ours_rows,
                "ours_s": round(ours_s, 3),
                "bare_s": round(bare_s, 3),
                "ours_rows_per_s": round(ours_rate),
                "bare_rows_per_s": round(bare_rate),
                "ratio": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
