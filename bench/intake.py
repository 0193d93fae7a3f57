"""Intake and list benchmark (`make bench-intake`).

Workload, checked before timing (the run stops when it is not what it claims):
1. POST /api/events/ (JSON, no photo, token auth) from 16 concurrent connections (wrk) against the
   production-like set-up (gunicorn, DEBUG off, the Procfile's worker count), with all its domain work
   (grid lookup, clocks, the first timeline row, the push). Beside it on the same gunicorn, in
   alternating rounds, a stock Django REST framework endpoint writing the same event row
   (bench/stock.py: ModelSerializer + CreateAPIView, token auth, no domain work), and a raw psycopg2
   INSERT + COMMIT from one process. Targets: ours ≥ 0.8× the stock rate, p99 ≤ 1.5× the stock p99.
2. With 1,000,000 events in the benchmark database (bench/make_events.py), a town's filtered list page
   (its subtree + closed + the 30 days up to its newest event: at least 1,000 matching rows, whatever
   ran on the database before), timed over repeated requests, each in turn with the bare SQL of the same page
   (count + the first 25 rows, same filters, psycopg2); both must give the same count and rows; its
   query count at two page sizes must be the same. Target: p95 within 3× the bare SQL.
The database is brought to a steady state first (VACUUM ANALYZE; production runs autovacuum). The last
line is one JSON object.
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


STOCK_LUA = """
local thread_id = 0
local points = {POINTS}
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local p = points[1 + counter % #points]
  local template = '{"category": {CATEGORY}, "description": "基准测试：路灯损坏", ' ..
                   '"location": {"type": "Point", "coordinates": [%.7f, %.7f]}, "source": "patrol", ' ..
                   '"grid": %d, "origin_center": %d, "center": %d, "level": "community"}'
  local body = string.format(template, p[2], p[1], p[3], p[4], p[4])
  return wrk.format("POST", "/bench-stock/events/", {["Content-Type"] = "application/json",
                                                     ["Authorization"] = "Token {TOKEN}"}, body)
end
"""
MIN_LIST_ROWS = 1000


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
        "stock_points": [(p[0], p[1], g.pk, g.center_id) for p, g in zip(points, grids, strict=True)],
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


def list_window(fx: dict) -> tuple:
    """The 30 days up to the town's newest closed event (the list must match rows whatever the data's age)."""
    from datetime import timedelta

    from django.db.models import Max
    from django.utils import timezone

    from events.models import Event
    from grids.models import Center

    town = Center.objects.get(pk=fx["town"])
    subtree = list(Center.objects.filter(path__startswith=town.path).values_list("id", flat=True))
    newest = Event.objects.filter(origin_center_id__in=subtree, state="closed").aggregate(m=Max("created_at"))["m"]
    if newest is None:
        sys.exit("list: the town has no closed events; the benchmark database is not what it should be")
    last = timezone.localdate(newest)
    return subtree, last - timedelta(days=29), last


def list_timings(fx: dict, subtree, first, last, requests: int) -> tuple[dict, dict]:
    """The town's list page through the API and the same page by bare SQL, request by request in turn
    (the machine's drift moves both alike), after a warm-up of each."""
    query = f"/api/events/?center={fx['town']}&state=closed&created_after={first}&created_before={last}&page_size=25"
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    headers = {"Authorization": f"Token {fx['list_token']}"}
    bare = BareList(subtree, first, last)
    ours, theirs, page = [], [], None
    try:
        for k in range(requests + 20):
            t0 = time.perf_counter()
            conn.request("GET", query, headers=headers)
            response = conn.getresponse()
            body = response.read()
            t1 = time.perf_counter()
            if response.status != 200:
                sys.exit(f"list: {response.status} {body[:300]!r}")
            bare.run()
            t2 = time.perf_counter()
            if k >= 20:  # warm-up excluded (every gunicorn worker has served the page)
                ours.append(t1 - t0)
                theirs.append(t2 - t1)
            page = json.loads(body)
    finally:
        bare.close()
    listing = {
        "p50_ms": percentile(ours, 50) * 1000,
        "p95_ms": percentile(ours, 95) * 1000,
        "rows": page["count"],
        "ids": [row["id"] for row in page["results"]],
        "query": query,
    }
    bare_list = {"p50_ms": percentile(theirs, 50) * 1000, "p95_ms": percentile(theirs, 95) * 1000, **bare.answer}
    return listing, bare_list


BARE_COUNT = """SELECT count(*) FROM events_event WHERE origin_center_id = ANY(%(subtree)s) AND state = 'closed'
    AND created_at >= %(start)s AND created_at < %(end)s"""
BARE_PAGE = """SELECT e.id, e.created_at, e.state, e.level, e.light, e.urgent, e.description, e.address,
        st_x(e.location), st_y(e.location), c.name, h.name, g.name
    FROM events_event e JOIN events_eventcategory c ON c.id = e.category_id JOIN grids_center h ON h.id = e.center_id
    LEFT JOIN grids_grid g ON g.id = e.grid_id
    WHERE e.origin_center_id = ANY(%(subtree)s) AND e.state = 'closed' AND e.created_at >= %(start)s
        AND e.created_at < %(end)s
    ORDER BY e.created_at DESC, e.id DESC LIMIT 25"""


class BareList:
    """The same page by bare SQL through psycopg2: the count and the first 25 rows with their names."""

    def __init__(self, subtree, first, last):
        from datetime import datetime, timedelta
        from datetime import time as clock

        import psycopg2
        from django.conf import settings
        from django.utils import timezone

        db = settings.DATABASES["default"]
        self.conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
        self.conn.autocommit = True
        self.cursor = self.conn.cursor()
        tz = timezone.get_current_timezone()
        self.params = {
            "subtree": subtree,
            "start": datetime.combine(first, clock.min, tz),
            "end": datetime.combine(last + timedelta(days=1), clock.min, tz),
        }
        self.answer = {}

    def run(self) -> None:
        self.cursor.execute(BARE_COUNT, self.params)
        count = self.cursor.fetchone()[0]
        self.cursor.execute(BARE_PAGE, self.params)
        rows = self.cursor.fetchall()
        self.answer = {"rows": count, "ids": [row[0] for row in rows]}

    def close(self) -> None:
        self.conn.close()


def steady_state() -> None:
    """VACUUM ANALYZE the tables the benchmark reads and writes (this machine's PostgreSQL runs no autovacuum)."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for table in ("events_event", "events_eventaction", "events_eventschedule", "grids_grid", "grids_center"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    conn.close()


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
    parser.add_argument("--list-requests", type=int, default=600)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    subprocess.run([PYTHON, str(ROOT / "bench" / "make_events.py"), str(args.events)], check=True)
    django_setup()
    fx = fixtures()
    ours_script, stock_script = OUT / "intake.lua", OUT / "intake-stock.lua"
    points = "{" + ", ".join(f"{{{lat:.7f}, {lng:.7f}}}" for lat, lng in fx["points"]) + "}"
    ours_script.write_text(
        LUA.replace("{POINTS}", points).replace("{CATEGORY}", str(fx["category"])).replace("{TOKEN}", fx["token"])
    )
    stock_points = "{" + ", ".join(f"{{{a:.7f}, {b:.7f}, {g}, {c}}}" for a, b, g, c in fx["stock_points"]) + "}"
    stock_script.write_text(
        STOCK_LUA.replace("{POINTS}", stock_points)
        .replace("{CATEGORY}", str(fx["category"]))
        .replace("{TOKEN}", fx["token"])
    )
    subtree, first, last = list_window(fx)
    steady_state()

    def load(path: str, script: Path, seconds: int) -> dict:
        url = f"http://127.0.0.1:{PORT}{path}"
        result = wrk(url, seconds=seconds, connections=args.connections, script=str(script))
        if result["errors"] or result["socket_errors"]:
            sys.exit(f"{path} had errors: {result}")
        return result

    from events.models import Event

    before = Event.objects.count()
    server = gunicorn(PORT, ROOT_URLCONF="bench.urls")
    pusher = live_publisher()  # every report is pushed to the dashboards, as in production
    try:
        load("/api/events/", ours_script, 3)  # warm-up: both reach a steady state before timing
        load("/bench-stock/events/", stock_script, 3)
        half = max(args.seconds // 2, 1)
        rounds = []
        for _round in range(2):  # alternating rounds: a drift of the machine moves both
            rounds.append((load("/api/events/", ours_script, half), load("/bench-stock/events/", stock_script, half)))
        listing, bare_list = list_timings(fx, subtree, first, last, args.list_requests)
    finally:
        stop(server)
        stop(pusher)
    written = Event.objects.count() - before
    intake = {
        "rps": sum(o["rps"] for o, _s in rounds) / len(rounds),
        "p50_ms": max(o["p50_ms"] for o, _s in rounds),
        "p99_ms": max(o["p99_ms"] for o, _s in rounds),
    }
    stock = {
        "rps": sum(s["rps"] for _o, s in rounds) / len(rounds),
        "p99_ms": max(s["p99_ms"] for _o, s in rounds),
    }
    expected = (intake["rps"] + stock["rps"]) * half * len(rounds)
    if written < 0.9 * expected:  # every accepted request wrote its row (warm-up rows come on top)
        sys.exit(f"workload: {written} events written for about {expected:.0f} requests")
    if listing["rows"] < MIN_LIST_ROWS:
        sys.exit(f"list: {listing['rows']} matching rows, fewer than {MIN_LIST_ROWS}: the figure would measure nothing")
    if (bare_list["rows"], bare_list["ids"]) != (listing["rows"], listing["ids"]):
        sys.exit(f"list: the bare SQL gives {bare_list['rows']} rows, the API {listing['rows']}: not the same page")
    raw = raw_insert_rate(fx, 10)
    queries = list_queries(fx, listing["query"])
    if queries[25] != queries[100]:
        sys.exit(f"list: the query count grows with the page size: {queries}")
    workers = int(os.environ.get("WEB_WORKERS", "4"))
    stock_ratio = intake["rps"] / stock["rps"]
    stock_p99_ratio = intake["p99_ms"] / stock["p99_ms"]
    list_ratio = listing["p95_ms"] / bare_list["p95_ms"]
    print(
        f"intake  {intake['rps']:8.0f} req/s  p50 {intake['p50_ms']:.1f} ms  p99 {intake['p99_ms']:.1f} ms "
        f"({args.connections} connections, gunicorn {workers} workers)"
    )
    print(
        f"stock   {stock['rps']:8.0f} req/s  p99 {stock['p99_ms']:.1f} ms (ModelSerializer + CreateAPIView, same row)"
    )
    print(f"raw     {raw['rps']:8.0f} rows/s  p99 {raw['p99_ms']:.2f} ms (one process, INSERT + COMMIT)")
    print(
        f"ours / stock: rate {stock_ratio:.2f}x (target >= 0.8), p99 {stock_p99_ratio:.2f}x (target <= 1.5) "
        f"{'PASS' if stock_ratio >= 0.8 and stock_p99_ratio <= 1.5 else 'FAIL'}"
    )
    print(
        f"list    p50 {listing['p50_ms']:.1f} ms  p95 {listing['p95_ms']:.1f} ms over {args.list_requests} requests, "
        f"{listing['rows']} matching rows; bare SQL p95 {bare_list['p95_ms']:.2f} ms: {list_ratio:.2f}x "
        f"(target <= 3) {'PASS' if list_ratio <= 3 else 'FAIL'}; queries: {queries}"
    )
    print(
        json.dumps(
            {
                "bench": "intake",
                "intake_rps": round(intake["rps"]),
                "raw_insert_rps": round(raw["rps"]),
                "ratio": round(intake["rps"] / raw["rps"], 3),
                "p99_ms": intake["p99_ms"],
                "stock_rps": round(stock["rps"]),
                "stock_p99_ms": stock["p99_ms"],
                "stock_ratio": round(stock_ratio, 3),
                "stock_p99_ratio": round(stock_p99_ratio, 3),
                "list_rows": listing["rows"],
                "list_p95_ms": round(listing["p95_ms"], 1),
                "list_bare_p95_ms": round(bare_list["p95_ms"], 2),
                "list_ratio": round(list_ratio, 3),
                "list_queries": queries[25],
                "list_queries_page100": queries[100],
                "events_in_db": args.events,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
