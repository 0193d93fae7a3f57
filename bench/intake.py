"""Intake and list benchmark (`make bench-intake`).

1. POST /api/events/ (JSON, no photo, token auth) from 16 concurrent connections (wrk) for 20 s
   against the production-like set-up (gunicorn, DEBUG off, the Procfile's worker count);
   beside it, in the same run, a raw psycopg2 INSERT + COMMIT of an equivalent row from one process.
2. With 1,000,000 events in the benchmark database (bench/make_events.py), a filtered list page
   (a town's subtree + state + a 30-day range), timed over repeated requests, and its query count
   at two page sizes.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from common import PYTHON, ROOT, django_setup, gunicorn, live_publisher, percentile, prepare_database, stop, wrk

PORT = 18090
OUT = ROOT / "bench" / "out"

LUA = """
local thread_id = 0
local points = {POINTS}
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  counter = 0
  math.randomseed(os.time() * 100 + tid)
end
request = function()
  counter = counter + 1
  local p = points[1 + counter % #points]
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 2147483647), tid,
                           math.random(0, 4095), math.random(0, 4095), counter)
  local template = '{"category": {CATEGORY}, "description": "基准测试：路灯损坏", ' ..
                   '"lat": %.7f, "lng": %.7f, "client_id": "%s"}'
  local body = string.format(template, p[1], p[2], id)
  return wrk.format("POST", "/api/events/", {["Content-Type"] = "application/json",
                                            ["Authorization"] = "Token {TOKEN}"}, body)
end
"""


def fixtures() -> dict:
    from accounts.models import User
    from accounts.services import token_issue
    from events.models import EventCategory
    from grids.models import Center, Grid

    reporter = User.objects.get(username="gridworker")
    token = token_issue(user=reporter, client="bench")
    lister = token_issue(user=User.objects.get(username="duty"), client="bench")
    grids = Grid.objects.order_by("code")[::12]
    points = [(g.boundary.point_on_surface.y, g.boundary.point_on_surface.x) for g in grids]
    return {
        "token": token,
        "list_token": lister,
        "points": points,
        "reporter_id": reporter.pk,
        "category": EventCategory.objects.get(code="cm-facilities").pk,
        "town": Center.objects.get(name="柳城街道").pk,
        "grid": grids[0],
    }


def raw_insert_rate(fx: dict, seconds: float) -> dict:
    """One process, one row per transaction: the database's own pace for this row."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    cursor = conn.cursor()
    grid = fx["grid"]
    # The event and its schedule row (the engine's next moment), as the service writes them.
    sql = """with e as (insert into events_event (client_id, category_id, description, location, address, urgent,
        urgent_requested, source, reporter_id, grid_id, origin_center_id, center_id, level, state, suspended_from,
        light, supervision, extension, extension_days, phase, phase_started_at, due_at, deadline, accept_due_at,
        created_at, updated_at, returns, reworks, escalations, warn_at, escalate_at, clock_cycle, clock_marks)
        values (%s, %s, %s, st_setsrid(st_point(%s, %s), 4326), '', false, false, 'patrol', %s, %s, %s, %s, 'community',
        'reported', '', 'green', 'none', 'none', 0, 'accept', now(), now() + interval '2 hours',
        now() + interval '3 days', now() + interval '2 hours', now(), now(), 0, 0, 0,
        now() + interval '84 minutes', now() + interval '3 hours', 1, 0) returning id)
        insert into events_eventschedule (event_id, next_due_at) select id, now() + interval '84 minutes' from e"""
    lat, lng = fx["points"][0]
    latencies = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        cursor.execute(
            sql,
            (
                str(uuid.uuid4()),
                fx["category"],
                "基准测试：路灯损坏",
                lng,
                lat,
                fx["reporter_id"],
                grid.pk,
                grid.center_id,
                grid.center_id,
            ),
        )
        conn.commit()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    conn.close()
    return {"rps": len(latencies) / elapsed, "p99_ms": percentile(latencies, 99) * 1000}


def list_timings(fx: dict, requests: int) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    query = (
        f"/api/events/?center={fx['town']}&state=closed&created_after={today - timedelta(days=30)}"
        f"&created_before={today}&page_size=25"
    )
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    headers = {"Authorization": f"Token {fx['list_token']}"}
    timings, count = [], None
    for k in range(requests + 5):
        t0 = time.perf_counter()
        conn.request("GET", query, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"list: {response.status} {body[:300]!r}")
        if k >= 5:  # warm-up excluded
            timings.append(time.perf_counter() - t0)
        count = json.loads(body)["count"]
    return {
        "p50_ms": percentile(timings, 50) * 1000,
        "p95_ms": percentile(timings, 95) * 1000,
        "rows": count,
        "query": query,
    }


def list_queries(fx: dict, query: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {fx['list_token']}", HTTP_HOST="127.0.0.1")
    counts = {}
    for size in (25, 100):
        client.get(query.replace("page_size=25", f"page_size={size}"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(query.replace("page_size=25", f"page_size={size}")).status_code == 200
        counts[size] = len(ctx.captured_queries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--list-requests", type=int, default=300)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    subprocess.run([PYTHON, str(ROOT / "bench" / "make_events.py"), str(args.events)], check=True)
    django_setup()
    fx = fixtures()
    script = OUT / "intake.lua"
    points = "{" + ", ".join(f"{{{lat:.7f}, {lng:.7f}}}" for lat, lng in fx["points"]) + "}"
    script.write_text(
        LUA.replace("{POINTS}", points).replace("{CATEGORY}", str(fx["category"])).replace("{TOKEN}", fx["token"])
    )

    server = gunicorn(PORT)
    pusher = live_publisher()  # every report is pushed to the dashboards, as in production
    try:
        wrk(f"http://127.0.0.1:{PORT}/api/events/", seconds=3, connections=args.connections, script=str(script))
        intake = wrk(
            f"http://127.0.0.1:{PORT}/api/events/",
            seconds=args.seconds,
            connections=args.connections,
            script=str(script),
        )
        listing = list_timings(fx, args.list_requests)
    finally:
        stop(server)
        stop(pusher)
    if intake["errors"] or intake["socket_errors"]:
        sys.exit(f"intake had errors: {intake}")
    raw = raw_insert_rate(fx, 10)
    queries = list_queries(fx, listing["query"])
    workers = int(os.environ.get("WEB_WORKERS", "4"))
    print(
        f"intake  {intake['rps']:8.0f} req/s  p50 {intake['p50_ms']:.1f} ms  p99 {intake['p99_ms']:.1f} ms "
        f"({args.connections} connections, gunicorn {workers} workers)"
    )
    print(f"raw     {raw['rps']:8.0f} rows/s  p99 {raw['p99_ms']:.2f} ms (one process, INSERT + COMMIT)")
    print(
        f"list    p50 {listing['p50_ms']:.1f} ms  p95 {listing['p95_ms']:.1f} ms over {args.list_requests} requests, "
        f"{listing['rows']} matching rows; queries: {queries}"
    )
    print(
        json.dumps(
            {
                "bench": "intake",
                "intake_rps": round(intake["rps"]),
                "raw_insert_rps": round(raw["rps"]),
                "ratio": round(intake["rps"] / raw["rps"], 3),
                "p99_ms": intake["p99_ms"],
                "list_p95_ms": round(listing["p95_ms"], 1),
                "list_queries": queries[25],
                "list_queries_page100": queries[100],
                "events_in_db": args.events,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
