"""Push benchmark (`make bench-push`): commit → WebSocket receipt on the live dashboards.

In a benchmark database holding the demo district, with the production-like set-up (uvicorn, one
process per core, the Redis pub/sub channel layer, the publisher process), K dashboard clients (K = 1, 100, 1000, in a
separate process) follow the district's stream. Events are reported through the real intake service
in this process, at 1 and at 10 a second; each event's commit time is taken when its `event_changed`
signal fires, and each client notes when the event's push arrived. Beside it, in the same run, the
baseline: a raw Redis pub/sub fan-out of a message of the same size to K asyncio subscribers (one
connection each) in the same kind of client process.

Figures per K and rate: p50 and p99 over every (event, client) receipt, p99 of the time until the
last client had an event, and the share delivered. The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

# A district's worth of data (the demo: 26,000 events), in a database of its own: the dashboards'
# figures are recomputed during the run, as they would be in the command hall.
os.environ.setdefault("BENCH_DB", "wenjiang_ops_push")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import PYTHON, ROOT, django_setup, env, live_publisher, manage, prepare_database, start_server, stop

# Channels of its own: another benchmark's sweep, running beside it, must not push into this one.
common.SERVER_ENV["CHANNEL_PREFIX"] = "wj-bench-push"

PORT = 18082
SECONDS = float(os.environ.get("PUSH_SECONDS", "10"))
KS = [int(k) for k in os.environ.get("PUSH_KS", "1,100,1000").split(",")]
RATES = [1, 10]
RAW_CHANNEL = "wj-bench-raw-fanout"
# As in the Procfile and docker-compose.yml. Compression is off: it is zlib once per socket for the
# same message (a thousand times for a thousand screens), and it multiplied the latency by 3 here.
UVICORN_OPTIONS = os.environ.get("PUSH_UVICORN", "--no-access-log --ws-per-message-deflate false").split()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


class Clients:
    def __init__(self, mode: str, k: int, target: str, cookie: str = "") -> None:
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "push_clients.py"), mode, str(k), target, *([cookie] if cookie else [])],
            cwd=ROOT,
            env=env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            sys.exit(f"the {mode} clients did not come up: {line!r}")

    def report(self) -> dict[str, list[float]]:
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def figures(sent: dict[str, float], received: dict[str, list[float]], k: int) -> dict:
    each, last = [], []
    delivered = 0
    for event_id, t0 in sent.items():
        times = received.get(event_id, [])
        delivered += len(times)
        each += [(t - t0) * 1000 for t in times]
        if len(times) == k:
            last.append((max(times) - t0) * 1000)
    return {
        "p50_ms": round(percentile(each, 50), 1),
        "p99_ms": round(percentile(each, 99), 1),
        "last_p99_ms": round(percentile(last, 99), 1),
        "delivered": round(delivered / (len(sent) * k), 4) if sent else 0.0,
    }


def paced(rate: float, seconds: float, act) -> None:
    """Calls act(i) `rate` times a second for `seconds`, on a fixed schedule (a late call is not
    followed by a pause, so a slow system shows as a backlog, not as a lower rate)."""
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        act(i)


def wait_for(clients: Clients, sent: dict, k: int, timeout: float = 15.0) -> dict:
    """Collects receipts until every client has every event or `timeout` passes."""
    received: dict[str, list[float]] = {}
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.5)
        for event_id, times in clients.report().items():
            received.setdefault(event_id, []).extend(times)
        if sum(len(received.get(e, [])) for e in sent) >= len(sent) * k or time.monotonic() > deadline:
            return received


def main() -> None:
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    manage("seed_demo", "--force")  # the demo events (once), in the bench-only database (DEBUG=0)
    os.environ["LIVE_PUSH"] = "queue"  # as in production: the publisher process does the pushing
    django_setup()
    import redis

    from accounts.models import User
    from events.clocks import reference
    from events.models import EventCategory
    from events.services import event_report
    from events.signals import event_changed
    from grids.models import Grid

    reference(fresh=True)
    duty = User.objects.get(username="duty")
    # The dashboards sign in as the pages do, with the session cookie (a token is never put in a
    # socket's URL; a one-time ticket opens one socket only).
    from django.conf import settings
    from django.test import Client

    browser = Client()
    browser.force_login(duty)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    reporter = User.objects.get(username="gridworker")
    category = EventCategory.objects.get(code="sa-garbage")
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface

    committed: dict[str, float] = {}
    lock = threading.Lock()

    def on_commit(sender, event_ids, **kwargs):
        now = time.time()
        with lock:
            for event_id in event_ids:
                committed.setdefault(str(event_id), now)

    event_changed.connect(on_commit, weak=False)

    def report_one(i: int) -> str:
        event, _ = event_report(
            reporter=reporter,
            category_id=category.pk,
            description=f"推送基准测试事件 {i}：路边垃圾堆放未清运，请尽快处理。",
            lat=point.y,
            lng=point.x,
            client_id=uuid.uuid4(),
            address="航天路88号",
        )
        return str(event.pk)

    workers = str(os.cpu_count() or 2)
    pusher = live_publisher()
    server = start_server(
        ["uvicorn", "wenjiang_ops.asgi:application", "--port", str(PORT), "--workers", workers, *UVICORN_OPTIONS],
        PORT,
    )
    raw = redis.Redis()
    sample = json.dumps({"type": "event", "seq": 1, "data": {"id": 0, "pad": "x" * 600}})
    results: dict = {"bench": "push", "asgi_workers": int(workers)}
    try:
        for k in KS:
            # our stack
            clients = Clients("ws", k, f"ws://127.0.0.1:{PORT}/ws/dashboard/", cookie)
            for rate in RATES:
                ids: list[str] = []
                report_one(-1)  # warm-up, not counted: connections opened, caches filled
                time.sleep(1)
                clients.report()
                paced(rate, SECONDS, lambda i, ids=ids: ids.append(report_one(i)))
                sent = {e: committed[e] for e in ids}
                f = figures(sent, wait_for(clients, sent, k), k)
                print(f"K={k:<5} {rate:>2} ev/s  ours  {json.dumps(f)}", flush=True)
                results.update({f"k{k}_{rate}hz_{name}": value for name, value in f.items()})
            clients.close()
            # the raw fan-out, same K, same message size
            clients = Clients("raw", k, RAW_CHANNEL)
            for rate in RATES:
                sent = {}

                def publish(i: int, rate=rate, sent=sent) -> None:
                    event_id = f"raw-{rate}-{i}"
                    message = sample.replace('"id": 0', f'"id": "{event_id}"')
                    sent[event_id] = time.time()
                    raw.publish(RAW_CHANNEL, message)

                publish(-1)  # warm-up, not counted, as above
                time.sleep(1)
                clients.report()
                sent.clear()
                paced(rate, SECONDS, publish)
                f = figures(sent, wait_for(clients, sent, k), k)
                print(f"K={k:<5} {rate:>2} ev/s  raw   {json.dumps(f)}", flush=True)
                results.update({f"raw_k{k}_{rate}hz_{name}": value for name, value in f.items()})
            clients.close()
            results[f"ratio_k{k}"] = round(results[f"k{k}_1hz_p99_ms"] / max(results[f"raw_k{k}_1hz_p99_ms"], 0.1), 2)
    finally:
        stop(server)
        stop(pusher)
    for k in KS:
        results.setdefault(f"raw_k{k}_p99_ms", results.get(f"raw_k{k}_1hz_p99_ms"))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
