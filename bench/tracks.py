"""Track intake benchmark (`make bench-tracks`): 2,000 phones on patrol, each sending its position
every 10 s (≈ 200 points a second), through the real path — POST /api/patrols/<id>/track/ (token
auth, the patrol row locked, the point inserted, the patrol's distance and last position updated, the
push queued) on gunicorn as the Procfile runs it, with the live publisher process (LIVE_PUSH=queue)
and uvicorn for the sockets — beside a stock DRF `ModelSerializer` + `CreateAPIView` of the same
TrackPoint rows (bench/stock.py) on the same server, in the same run.

1. Capacity: wrk (16 connections) on each endpoint in turn, after a warm-up, twice each; every
   request is a new point (its own patrol and seq): rows written must equal points sent.
2. Live map: the 2,000 phones paced at one point per 10 s each for 30 s while a dashboard socket of
   the district (the duty officer's, signed in by session) receives the patrols' pushes; the delay of
   each push is measured from the moment its point was sent (the point's `at`).

The last line is one JSON object: `ratio` (ours ÷ stock rate), `p99_ratio` (ours ÷ stock p99),
`live_p99_ms`. Targets: ratio ≥ 0.8, p99_ratio ≤ 1.5, live_p99_ms < 2000."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import (
    ROOT,
    django_setup,
    live_publisher,
    parse_wrk,
    percentile,
    prepare_database,
    start_server,
    stop,
)

PHONES = 2000
EVERY_S = 10.0
HTTP_PORT = int(os.environ.get("BENCH_TRACKS_PORT", "18095"))
WS_PORT = HTTP_PORT + 1
OUT = ROOT / "bench" / "out"
SETTINGS = {"ROOT_URLCONF": "bench.urls"}  # the stock baselines beside the platform (bench/stock.py)

LUA = """
local phones = {PHONES}
local threads = {THREADS}
local kind = "{KIND}"
local seqbase = {SEQBASE}
local thread_id = 0
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  counter = 0
  mine = math.floor(#phones / threads)
end
request = function()
  local slot = counter % mine
  local round = math.floor(counter / mine)
  counter = counter + 1
  local p = phones[slot * threads + tid + 1]
  local seq = seqbase + round
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local lat = p[3] + (round % 50) * 0.00002
  local lng = p[4]
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Token " .. p[2]}
  if kind == "ours" then
    local body = string.format('{"points": [{"seq": %d, "at": "%s", "lat": %.7f, "lng": %.7f, "accuracy": 8}]}',
                               seq, at, lat, lng)
    return wrk.format("POST", "/api/patrols/" .. p[1] .. "/track/", headers, body)
  end
  local body = string.format('{"patrol": %d, "seq": %d, "at": "%s", "point": {"type": "Point", ' ..
                             '"coordinates": [%.7f, %.7f]}, "accuracy": 8}', p[1], seq, at, lng, lat)
  return wrk.format("POST", "/bench-stock/track-points/", headers, body)
end
"""


def fixtures() -> list[tuple[int, str, float, float]]:
    """2,000 volunteers, each with a token and a patrol under way in a community of the district
    (made once in the benchmark database; their patrols are reopened on a later run)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import ApiToken, Role, User
    from accounts.services import token_digest
    from grids.models import Grid
    from patrols.models import Patrol

    grids = list(Grid.objects.filter(kind="comprehensive").order_by("code").defer("boundary"))
    existing = {u.username: u for u in User.objects.filter(username__startswith="benchphone")}
    if len(existing) < PHONES:
        password = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    username=f"benchphone{i:04d}",
                    role=Role.VOLUNTEER,
                    center_id=grids[i % len(grids)].center_id,
                    password=password,
                )
                for i in range(PHONES)
                if f"benchphone{i:04d}" not in existing
            ]
        )
    users = list(User.objects.filter(username__startswith="benchphone").order_by("username")[:PHONES])
    ApiToken.objects.filter(user__in=users).delete()
    import secrets
    from datetime import timedelta

    now = timezone.now()
    keys = {u.pk: secrets.token_urlsafe(32) for u in users}
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                digest=token_digest(keys[u.pk]),
                user=u,
                client="bench-tracks",
                created_at=now,
                expires_at=now + timedelta(hours=8),
            )
            for u in users
        ]
    )
    Patrol.objects.filter(user__in=users, state="active").update(state="ended", ended_at=now)
    points = {g.pk: g for g in Grid.objects.filter(pk__in={grids[i % len(grids)].pk for i in range(PHONES)})}
    patrols = Patrol.objects.bulk_create(
        [
            Patrol(
                user=u,
                grid_id=grids[i % len(grids)].pk,
                center_id=grids[i % len(grids)].center_id,
                started_at=now,
            )
            for i, u in enumerate(users)
        ]
    )
    out = []
    for i, (u, p) in enumerate(zip(users, patrols, strict=True)):
        spot = points[grids[i % len(grids)].pk].boundary.point_on_surface
        out.append((p.pk, keys[u.pk], spot.y, spot.x))
    return out


def track_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patrols_trackpoint")
        return cursor.fetchone()[0]


def run_wrk(kind: str, phones, seqbase: int, seconds: int, connections: int) -> dict:
    threads = 2
    script = OUT / f"tracks-{kind}.lua"
    table = "{" + ", ".join(f'{{{p}, "{k}", {lat:.7f}, {lng:.7f}}}' for p, k, lat, lng in phones) + "}"
    script.write_text(
        LUA.replace("{PHONES}", table)
        .replace("{THREADS}", str(threads))
        .replace("{KIND}", kind)
        .replace("{SEQBASE}", str(seqbase))
    )
    before = track_rows()
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    result = subprocess.run([*command, f"http://127.0.0.1:{HTTP_PORT}/"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wrk failed: {result.stdout} {result.stderr}")
    figures = parse_wrk(result.stdout)
    figures["requests"] = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    time.sleep(0.5)  # the last requests in flight when wrk stopped
    figures["rows"] = track_rows() - before
    return figures


# --- the live map: paced phones and a dashboard socket -------------------------------------------


async def _post(path: str, token: str, body: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", HTTP_PORT)
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1])


async def live_run(phones, seqbase: int, seconds: float, cookie: str) -> dict:
    import websockets

    delays: list[float] = []
    failures = 0
    sent = 0
    started = time.time()

    async def listen(ready: asyncio.Event, stop_at: float) -> None:
        url = f"ws://127.0.0.1:{WS_PORT}/ws/dashboard/"
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{HTTP_PORT}"}
        async with websockets.connect(url, additional_headers=headers, max_size=2**22, ping_interval=None) as ws:
            while time.time() < stop_at:
                try:
                    text = await asyncio.wait_for(ws.recv(), timeout=1.0)
                except TimeoutError:
                    continue
                message = json.loads(text)
                if message.get("type") == "hello":
                    ready.set()
                elif message.get("type") == "patrol" and message["data"].get("last_at"):
                    at = datetime.fromisoformat(message["data"]["last_at"]).timestamp()
                    if at >= started:
                        delays.append(time.time() - at)

    async def phone(i: int, p) -> None:
        nonlocal failures, sent
        patrol, token, lat, lng = p
        await asyncio.sleep(EVERY_S * i / len(phones))  # spread over the 10 s
        k = 0
        while time.time() - started < seconds:
            at = datetime.now(UTC).isoformat()
            body = json.dumps(
                {"points": [{"seq": seqbase + k, "at": at, "lat": lat + k * 0.00003, "lng": lng, "accuracy": 8}]}
            ).encode()
            sent += 1
            try:
                status = await _post(f"/api/patrols/{patrol}/track/", token, body)
                failures += status != 200
            except OSError:
                failures += 1
            k += 1
            await asyncio.sleep(max(0.0, started + EVERY_S * (i / len(phones) + k) - time.time()))

    ready = asyncio.Event()
    listener = asyncio.ensure_future(listen(ready, started + seconds + 5))
    await asyncio.wait_for(ready.wait(), 15)
    before = await asyncio.to_thread(track_rows)
    started = time.time()
    await asyncio.gather(*(phone(i, p) for i, p in enumerate(phones)))
    await listener
    rows = await asyncio.to_thread(track_rows) - before
    return {"sent": sent, "rows": rows, "failures": failures, "pushes": len(delays), "delays": delays}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--live-seconds", type=int, default=30)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    django_setup()
    phones = fixtures()
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    browser = Client()
    browser.force_login(User.objects.get(username="duty"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    from django.db import connections

    connections.close_all()

    workers = os.environ.get("WEB_WORKERS", "4")
    web = start_server(
        ["gunicorn", "wenjiang_ops.wsgi:application", "--bind", f"127.0.0.1:{HTTP_PORT}", "--workers", workers],
        HTTP_PORT,
        **SETTINGS,
    )
    sockets = start_server(
        [
            "uvicorn",
            "wenjiang_ops.asgi:application",
            "--port",
            str(WS_PORT),
            "--workers",
            "1",
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
        ],
        WS_PORT,
        **SETTINGS,
    )
    pusher = live_publisher()
    runs: dict[str, list[dict]] = {"ours": [], "stock": []}
    try:
        seq = 10_000_000 + int(time.time()) % 1_000_000 * 1000  # new seqs on every run of the bench
        for kind in ("ours", "stock"):  # warm-up: both paths to a steady state
            run_wrk(kind, phones, seq, 3, args.connections)
            seq += 100_000
        for _round in range(2):
            for kind in ("ours", "stock"):
                runs[kind].append(run_wrk(kind, phones, seq, args.seconds, args.connections))
                seq += 100_000
        live = asyncio.run(live_run(phones, seq, args.live_seconds, cookie))
    finally:
        stop(web)
        stop(sockets)
        stop(pusher)
    for kind, results in runs.items():
        for r in results:
            if r["errors"] or r["socket_errors"]:
                sys.exit(f"{kind} had errors: {r}")
            if not r["requests"] <= r["rows"] <= r["requests"] + args.connections:
                sys.exit(f"{kind}: {r['rows']} rows written for {r['requests']} points sent")
    if live["failures"] or live["rows"] != live["sent"]:
        sys.exit(f"live: {live['failures']} failures, {live['rows']} rows for {live['sent']} points sent")
    ours_rps = sum(r["rps"] for r in runs["ours"]) / len(runs["ours"])
    stock_rps = sum(r["rps"] for r in runs["stock"]) / len(runs["stock"])
    ours_p99 = max(r["p99_ms"] for r in runs["ours"])
    stock_p99 = max(r["p99_ms"] for r in runs["stock"])
    live_p50 = percentile(live["delays"], 50) * 1000 if live["delays"] else None
    live_p99 = percentile(live["delays"], 99) * 1000 if live["delays"] else None
    for kind in ("ours", "stock"):
        for r in runs[kind]:
            print(
                f"{kind:5}  {r['rps']:7.0f} points/s  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
                f"({r['requests']} sent, {r['rows']} rows; {args.connections} connections, gunicorn {workers} workers)"
            )
    print(
        f"live   {live['sent']} points from {PHONES} phones in {args.live_seconds} s "
        f"({live['sent'] / args.live_seconds:.0f}/s), {live['rows']} rows, {live['pushes']} pushes received; "
        f"delay p50 {live_p50:.0f} ms, p99 {live_p99:.0f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "tracks",
                "ours_rps": round(ours_rps),
                "stock_rps": round(stock_rps),
                "ratio": round(ours_rps / stock_rps, 3),
                "ours_p99_ms": ours_p99,
                "stock_p99_ms": stock_p99,
                "p99_ratio": round(ours_p99 / stock_p99, 3),
                "live_points_per_s": round(live["sent"] / args.live_seconds),
                "live_pushes": live["pushes"],
                "live_p50_ms": round(live_p50) if live_p50 is not None else None,
                "live_p99_ms": round(live_p99) if live_p99 is not None else None,
                "phones": PHONES,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
