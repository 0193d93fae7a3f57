"""Plays the 12345 hotline beside the platform (under `make run`): sends a few work orders an hour,
takes the platform's callbacks (signature checked, each printed), and rates each closed order as the
hotline's return call would, a little after its closure."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError

from grids.models import Grid
from interop import signing

CATEGORIES = [
    ("sa-garbage", "{street}{n}号附近垃圾堆放多日无人清运，气味很大"),
    ("cm-street-vendor", "{street}{n}号门口占道经营，行人只能走机动车道"),
    ("rt-signals", "{street}与{other}路口红绿灯不亮，车辆通行混乱"),
    ("sa-noise", "{street}{n}号工地夜间施工噪音扰民"),
    ("lv-assistance", "{street}{n}号独居老人生活困难，希望社区帮助"),
    ("rt-road-damage", "{street}{n}号路段路面塌陷，有安全隐患"),
]
STREETS = ["光华大道", "凤溪大道", "柳台大道", "杨柳东路", "江安路", "鱼凫路", "文化路", "学府路"]
RATINGS = ["satisfied"] * 8 + ["basically_satisfied"] * 3 + ["dissatisfied"]


class Command(BaseCommand):
    help = "The 12345 hotline's simulator: work orders to the platform, a callback receiver, ratings."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The platform.")
        parser.add_argument("--port", type=int, default=8099, help="Where the callbacks are taken.")
        parser.add_argument("--per-hour", type=float, default=4.0, help="Work orders an hour (on average).")
        parser.add_argument("--rate-after", type=float, default=120.0, help="Seconds from closure to the rating.")
        parser.add_argument("--count", type=int, default=0, help="Stop after this many orders (0: never).")
        parser.add_argument("--first-after", type=float, default=5.0, help="Seconds before the first order.")

    def handle(self, *args, url, port, per_hour, rate_after, count, first_after, **options):
        self.url, self.rate_after = url.rstrip("/"), rate_after
        self.secret = settings.HOTLINE_SECRET
        self.pending: list[tuple[float, str]] = []  # (when, order number) to rate
        self.lock = threading.Lock()
        self.rng = random.Random()
        # The calls come from where people live: points inside the district's grids.
        self.grids = [g.boundary for g in Grid.objects.only("boundary").order_by("code")]
        if not self.grids:
            raise CommandError("No grids: load the demo first (manage.py seed_demo).")
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.stdout.write(f"hotline simulator: callbacks on http://127.0.0.1:{port}/callbacks/, orders to {self.url}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        sent, next_order = 0, time.monotonic() + first_after
        try:
            while not stop.is_set() and (not count or sent < count or self.pending):
                now = time.monotonic()
                if now >= next_order and (not count or sent < count):
                    self._send_order()
                    sent += 1
                    next_order = now + self.rng.expovariate(per_hour / 3600)
                with self.lock:
                    due = [n for when, n in self.pending if when <= now]
                    self.pending = [(w, n) for w, n in self.pending if w > now]
                for number in due:
                    self._rate(number)
                stop.wait(1)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()

    # --- out: work orders and ratings ------------------------------------------------------------------

    def _post(self, path: str, payload: dict) -> tuple[int, str]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signing.sign(self.secret, body)}
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except OSError as exc:
            return 0, str(exc)

    def _send_order(self) -> None:
        rng = self.rng
        code, text = rng.choice(CATEGORIES)
        street, other = rng.sample(STREETS, 2)
        number = f"12345-{datetime.now():%Y%m%d%H%M%S}-{rng.randrange(1000):03d}"
        point = self._point()
        payload = {
            "order_no": number,
            "category": code,
            "content": "市民来电反映："
            + text.format(street=street, other=other.removesuffix("路"), n=rng.randrange(1, 300)),
            "lat": round(point.y, 6),
            "lng": round(point.x, 6),
            "address": f"{street}",
            "called_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "caller": {"name": rng.choice(["张先生", "李女士", "王先生", "刘女士"]), "phone": "138****0000"},
        }
        status, text = self._post("/api/hotline/orders/", payload)
        self.stdout.write(f"order {number} -> {status} {text[:160]}")

    def _point(self):
        boundary = self.rng.choice(self.grids)
        xmin, ymin, xmax, ymax = boundary.extent
        for _ in range(100):
            point = Point(self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax), srid=4326)
            if boundary.contains(point):
                return point
        return boundary.point_on_surface

    def _rate(self, number: str) -> None:
        rating = self.rng.choice(RATINGS)
        status, _answer = self._post(
            "/api/hotline/satisfaction/", {"order_no": number, "rating": rating, "comment": ""}
        )
        self.stdout.write(f"rating {number} {rating} -> {status}")

    # --- in: the platform's callbacks ------------------------------------------------------------------------

    def _handler(self):
        command = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    signing.verify(
                        command.secret,
                        body,
                        self.headers.get(signing.TIMESTAMP_HEADER),
                        self.headers.get(signing.SIGNATURE_HEADER),
                    )
                    payload = json.loads(body)
                except (signing.BadSignature, ValueError) as exc:
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(str(exc).encode())
                    return
                command.stdout.write(
                    f"callback {payload.get('order_no')} {payload.get('kind')} {payload.get('result', '')} "
                    f"{(payload.get('text') or '')[:60]}"
                )
                if payload.get("kind") == "closed" and payload.get("result") == "closed":
                    with command.lock:
                        command.pending.append((time.monotonic() + command.rate_after, payload["order_no"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):  # quiet: each callback is printed above
                pass

        return Handler
