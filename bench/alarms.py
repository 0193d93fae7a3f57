"""Alarm intake benchmark (`make bench-alarms`).

Workload, checked before the figures are printed (the run stops when it is not what it claims):
alarms from 2,000 devices of one source, 80 % of them repeats of a (device, type) already alarmed
(they join its open event: one timeline row each), 20 % a (device, type) not seen yet (a new event
through the events' intake), posted by wrk over 16 keep-alive connections through the real webhook
path on gunicorn (production-like, DEBUG off): HMAC signature and timestamp, replay check, rate limit,
schema, the outbox row; a Celery worker (as in the Procfile) clusters them into events after the
commit, and the live publisher pushes them, all on the same machine during the run. Beside it, in
alternating rounds on the same gunicorn, a stock Django REST framework create endpoint storing the
same alarm rows (bench/stock.py: ModelSerializer + CreateAPIView, token auth, no domain work).
60 s of each in all (two rounds of 30 s), after a warm-up; after each round the worker finishes
what it was given (clustering, the video app's alarm response) before the next begins, so that no
round runs in another's deferred work (the time it took is printed); the database in a steady state first
(VACUUM ANALYZE). Requests are signed beforehand (wrk's Lua has no HMAC): each line of a file is a
timestamp, a signature and a body, all distinct, read by wrk's threads in turn.

After the run the workers drain the outbox; `lost` counts accepted alarms (rows stored by the
webhook) that no event's timeline names. Targets: ratio >= 0.8, p99_ratio <= 1.5, lost = 0.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from common import PYTHON, ROOT, django_setup, env, gunicorn, live_publisher, parse_wrk, prepare_database, stop

PORT = 18095
OUT = ROOT / "bench" / "out"
DEVICES = 2000
TYPES = 12
REPEAT_SHARE = 0.8
SOURCE = "bench-gates"

LUA = """
local thread_id = 0
local threads = {}
local lines = {}
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("sent %d %d\\n", thread:get("tid"), thread:get("counter")))
  end
end
function init(args)
  local threads = tonumber(args[2])
  local k = 0
  for line in io.lines(args[1]) do
    if k % threads == tid then table.insert(lines, line) end
    k = k + 1
  end
  counter = 0
end
request = function()
  counter = counter + 1
  local line = lines[counter]
  if line == nil then line = lines[#lines] end
  local ts, sig, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")
  local headers = {["Content-Type"] = "application/json"}
  if sig ~= "" then
    headers["X-Alarm-Timestamp"] = ts
    headers["X-Alarm-Signature"] = sig
  else
    headers["Authorization"] = "Token " .. ts
  end
  return wrk.format("POST", "{PATH}", headers, body)
end
"""


def fixtures() -> dict:
    """The bench source: 2,000 devices spread over the district's grids, TYPES alarm types (so that
    the new (device, type) pairs never run out), limits far above the run."""
    from django.contrib.gis.geos import Point
    from django.db import connection

    from accounts.models import User
    from accounts.services import token_issue
    from alarms import services
    from alarms.models import AlarmType, Device, Source
    from events.models import EventCategory
    from grids.models import Department

    Source.objects.filter(code=SOURCE).update(active=False)
    source = Source.objects.filter(code=SOURCE).first()
    if source is None:
        source = Source(
            code=SOURCE,
            name="基准测试门禁",
            kind="face_gate",
            department=Department.objects.get(code="police"),
        )
    source.rate_limit_count, source.rate_limit_seconds = 10_000_000, 60
    source.max_events_per_hour, source.cluster_window_minutes, source.active = 10_000_000, 24 * 60, True
    source.allowed_addresses = "127.0.0.1/32"
    services.source_save(source=source)
    secret = services.source_secret_reset(source=source)
    category = EventCategory.objects.get(code="ps-suspicious")
    for k in range(TYPES):
        AlarmType.objects.update_or_create(
            source=source, code=f"t{k}", defaults={"name": f"基准告警{k}", "category": category, "threshold": 1}
        )
    if Device.objects.filter(source=source).count() < DEVICES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT g.id, g.center_id, ST_X(p.geom), ST_Y(p.geom) FROM grids_grid g, "
                "LATERAL ST_Dump(ST_GeneratePoints(g.boundary, 4, g.id::int)) p ORDER BY g.code"
            )
            spots = cursor.fetchall()
        Device.objects.bulk_create(
            [
                Device(
                    source=source,
                    code=f"B{n:05d}",
                    name=f"基准门禁{n}",
                    location=Point(x, y, srid=4326),
                    grid_id=grid,
                    center_id=center,
                )
                for n, (grid, center, x, y) in enumerate(spots[:DEVICES])
            ],
            ignore_conflicts=True,
        )
    devices = list(Device.objects.filter(source=source).order_by("code").values_list("code", "id")[:DEVICES])
    if len(devices) < DEVICES:
        sys.exit(f"workload: only {len(devices)} devices")
    types = dict(AlarmType.objects.filter(source=source).values_list("code", "id"))
    # The stock endpoint's rows go under a source of their own (no webhook), so the figures of ours
    # (statuses, lost) count ours only.
    stock_source = Source.objects.filter(code=f"{SOURCE}-stock").first() or Source(
        code=f"{SOURCE}-stock", name="基准测试（对照）", kind="face_gate", department=source.department, active=False
    )
    services.source_save(source=stock_source)
    token = token_issue(user=User.objects.get(username="duty"), client="bench")
    return {
        "source": source,
        "stock_source": stock_source,
        "secret": secret,
        "devices": devices,
        "types": types,
        "token": token,
    }


class Plan:
    """The alarms to send, in order: 80 % repeats of a pair already sent, 20 % a new pair."""

    def __init__(self, fx: dict, seed: int = 15):
        from alarms.models import AlarmCluster

        self.rng = random.Random(seed)
        # New means new: a pair with a cluster from an earlier run (its event still open) is left out.
        seen = set(
            AlarmCluster.objects.filter(device__source=fx["source"]).values_list("device__code", "alarm_type__code")
        )
        self.fresh = [(d, t) for t in fx["types"] for d in fx["devices"] if (d[0], t) not in seen]
        self.rng.shuffle(self.fresh)
        self.used: list[tuple] = []
        self.introduced: list[tuple[int, tuple]] = []  # (line, pair) of the new pairs of the current file
        self.line = 0

    def start_file(self) -> None:
        self.introduced, self.line = [], 0

    def next(self) -> tuple:
        self.line += 1
        if self.used and self.rng.random() < REPEAT_SHARE:
            return self.used[self.rng.randrange(len(self.used))]
        if not self.fresh:
            sys.exit("workload: the new (device, type) pairs ran out: raise TYPES")
        pair = self.fresh.pop()
        self.used.append(pair)
        self.introduced.append((self.line, pair))
        return pair

    def sent(self, lines: set[int]) -> None:
        """wrk sent only `lines` of the file (each thread its own lines in order): the new pairs of
        the others were never sent, so later repeats must not count on them."""
        unsent = {pair for line, pair in self.introduced if line not in lines}
        if unsent:
            self.used = [pair for pair in self.used if pair not in unsent]
            self.fresh.extend(unsent)


def write_requests(path: Path, fx: dict, plan: Plan, count: int, *, stock: bool) -> None:
    """`count` distinct requests, signed now (valid for the next 5 minutes)."""
    from django.utils import timezone

    from wenjiang_ops.signing import sign

    stamp = str(int(time.time()))
    at = timezone.localtime().isoformat(timespec="seconds")
    plan.start_file()
    with path.open("w") as out:
        for _ in range(count):
            (device_code, device_id), type_code = plan.next()
            alarm_id = uuid.uuid4().hex
            data = {"similarity": 0.91, "gate": "东门"}
            if stock:
                body = {
                    "source": fx["stock_source"].pk,
                    "external_id": alarm_id,
                    "device": device_id,
                    "alarm_type": fx["types"][type_code],
                    "occurred_at": at,
                    "payload": {"message": "基准测试", "data": data},
                }
                raw = json.dumps(body, ensure_ascii=False)
                out.write(f"{fx['token']}\t\t{raw}\n")
            else:
                body = {
                    "alarm_id": alarm_id,
                    "device": device_code,
                    "type": type_code,
                    "occurred_at": at,
                    "message": "基准测试",
                    "data": data,
                }
                raw = json.dumps(body, ensure_ascii=False)
                out.write(f"{stamp}\t{sign(fx['secret'], stamp, raw.encode())}\t{raw}\n")


def steady_state() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "alarms_alarm",
            "alarms_alarmcluster",
            "alarms_device",
            "events_event",
            "events_eventaction",
            "events_eventschedule",
            "grids_grid",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def worker() -> subprocess.Popen:
    """The Celery worker of the Procfile (two processes)."""
    command = [PYTHON, "-m", "celery", "-A", "wenjiang_ops", "worker", "--concurrency=2", "--loglevel=WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


LOST = """
WITH recorded AS (
    SELECT DISTINCT (jsonb_array_elements(ea.data->'alarms'))::text::bigint AS id
    FROM events_eventaction ea JOIN events_event e ON e.id = ea.event_id
    WHERE e.source = 'iot' AND ea.created_at >= %(start)s AND ea.data ? 'alarms'
)
SELECT count(*) FILTER (WHERE r.id IS NULL), count(*)
FROM alarms_alarm a LEFT JOIN recorded r ON r.id = a.id
WHERE a.source_id = %(source)s AND a.received_at >= %(start)s
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="of each endpoint, in two alternating rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-rate", type=int, default=2500, help="requests/s the request files are sized for")
    parser.add_argument("--reuse-database", action="store_true", help="skip migrate and seed (a second run)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.reuse_database:
        print("preparing the benchmark database …", flush=True)
        prepare_database()
    django_setup()
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    fx = fixtures()
    plans = {"ours": Plan(fx), "stock": Plan(fx, seed=16)}  # each endpoint its own: repeats of what it was sent
    steady_state()
    threads = 2
    half = max(args.seconds // 2, 1)
    start = timezone.now() - timedelta(seconds=1)
    server = gunicorn(PORT, ROOT_URLCONF="bench.urls")
    pusher = live_publisher()
    celery = worker()
    scripts = {}
    for name, path in (("ours", f"/api/alarms/{SOURCE}/"), ("stock", "/bench-stock/alarms/")):
        scripts[name] = OUT / f"alarms-{name}.lua"
        scripts[name].write_text(LUA.replace("{PATH}", path))

    def load(name: str, seconds: int) -> dict:
        requests = OUT / f"alarms-{name}.tsv"
        write_requests(requests, fx, plans[name], args.max_rate * seconds, stock=name == "stock")
        url = f"http://127.0.0.1:{PORT}" + ("/bench-stock/alarms/" if name == "stock" else f"/api/alarms/{SOURCE}/")
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
        ]
        result = subprocess.run(
            [*command, str(scripts[name]), url, "--", str(requests), str(threads)], capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"wrk failed: {result.stdout} {result.stderr}")
        parsed = parse_wrk(result.stdout)
        parsed["requests"] = int(result.stdout.split(" requests in")[0].split()[-1])
        sent = set()
        for line in result.stdout.splitlines():
            if line.startswith("sent "):
                _word, tid, count = line.split()
                sent |= {int(tid) + k * threads + 1 for k in range(int(count))}
        if not sent:
            sys.exit(f"wrk did not say which requests it sent:\n{result.stdout}")
        plans[name].sent(sent)
        print(f"{name:5} {seconds:3d} s  {parsed['rps']:8.1f} req/s  p99 {parsed['p99_ms']:.1f} ms", flush=True)
        if parsed["errors"] or parsed["socket_errors"]:
            sys.exit(f"{name} had errors: {parsed}\n{result.stdout}")
        if parsed["requests"] > args.max_rate * seconds:
            sys.exit(f"{name}: the request file ran out ({parsed['requests']} requests): raise --max-rate")
        return parsed

    def drain(limit: float = 300) -> float:
        """Waits until the worker has clustered every stored alarm and run every queued task (the video
        app's alarm response among them), so that a round's deferred work does not run in the next
        round's time (the stock endpoint's, before); returns the seconds it took."""
        import redis
        from django.conf import settings

        from alarms.models import Alarm

        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            pending = Alarm.objects.filter(source=fx["source"], processed_at__isnull=True).exists()
            if not pending and broker.llen("celery") == 0 and broker.hlen("unacked") == 0:
                break
            time.sleep(0.2)
        return time.monotonic() - t0

    try:
        load("ours", 3)  # warm-up: both reach a steady state before timing
        drain()
        load("stock", 3)
        drain()
        rounds = []
        for _ in range(2):
            ours_round = load("ours", half)
            ours_round["drain_s"] = drain()
            print(f"        the worker finished the round's alarms {ours_round['drain_s']:.1f} s after it", flush=True)
            rounds.append((ours_round, load("stock", half)))
            drain()
        # The workers drain what is left (nothing is timed here).
        from alarms.models import Alarm

        deadline = time.monotonic() + 300
        while Alarm.objects.filter(source=fx["source"], processed_at__isnull=True).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        stop(server)
        stop(celery)
        stop(pusher)
    from alarms import services
    from alarms.models import Alarm

    left = Alarm.objects.filter(source=fx["source"], processed_at__isnull=True).count()
    swept = services.sweep() if left else 0  # what beat's periodic pass would pick up
    with connection.cursor() as cursor:
        cursor.execute(LOST, {"start": start, "source": fx["source"].pk})
        lost, accepted = cursor.fetchone()
    sent_ours = sum(o["requests"] for o, _s in rounds)
    statuses = dict(
        Alarm.objects.filter(source=fx["source"], received_at__gte=start).values_list("status").annotate(n=Count("id"))
    )
    ours = {
        "rps": sum(o["rps"] for o, _s in rounds) / len(rounds),
        "p50_ms": max(o["p50_ms"] for o, _s in rounds),
        "p99_ms": max(o["p99_ms"] for o, _s in rounds),
    }
    stock = {
        "rps": sum(s["rps"] for _o, s in rounds) / len(rounds),
        "p50_ms": max(s["p50_ms"] for _o, s in rounds),
        "p99_ms": max(s["p99_ms"] for _o, s in rounds),
    }
    if accepted < sent_ours:  # every answered request stored its row (the warm-up's come on top)
        sys.exit(f"workload: {accepted} alarms stored for {sent_ours} answered requests")
    joined = statuses.get("clustered", 0)
    made = statuses.get("event", 0)
    share = joined / max(joined + made, 1)
    if not 0.75 <= share <= 0.85:
        sys.exit(f"workload: {share:.2f} of the alarms joined an event, not about {REPEAT_SHARE}: {statuses}")
    ratio = ours["rps"] / stock["rps"]
    p99_ratio = ours["p99_ms"] / stock["p99_ms"]
    workers = int(os.environ.get("WEB_WORKERS", "4"))
    print(
        f"webhook {ours['rps']:8.0f} alarms/s  p50 {ours['p50_ms']:.1f} ms  p99 {ours['p99_ms']:.1f} ms "
        f"({args.connections} connections, gunicorn {workers} workers, Celery worker clustering meanwhile)"
    )
    print(f"stock   {stock['rps']:8.0f} rows/s    p50 {stock['p50_ms']:.1f} ms  p99 {stock['p99_ms']:.1f} ms")
    print(
        f"alarms stored {accepted}: {made} new events, {joined} joined an open event ({share:.0%}); "
        f"left for the periodic pass {left} (it took {swept}); lost {lost}"
    )
    print(
        f"ours / stock: rate {ratio:.2f}x (target >= 0.8), p99 {p99_ratio:.2f}x (target <= 1.5), lost {lost} "
        f"(target 0) {'PASS' if ratio >= 0.8 and p99_ratio <= 1.5 and lost == 0 else 'FAIL'}"
    )
    print(
        json.dumps(
            {
                "bench": "alarms",
                "ours_rps": round(ours["rps"]),
                "stock_rps": round(stock["rps"]),
                "ratio": round(ratio, 3),
                "p99_ms": ours["p99_ms"],
                "stock_p99_ms": stock["p99_ms"],
                "p99_ratio": round(p99_ratio, 3),
                "lost": lost,
                "accepted": accepted,
                "new_events": made,
                "joined": joined,
                "left_for_sweep": left,
                "devices": DEVICES,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
