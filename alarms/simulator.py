"""Plausible alarms from the demo's sources, signed and posted to the real webhook over HTTP: what the
six kinds of systems of the seed would send (`manage.py alarm_simulator`, started by `make run`)."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.utils import timezone

from wenjiang_ops.signing import sign

from .models import Device, Source

PLATES = ["川A", "川B", "川G", "川S"]
ZONES = ["北区", "南区", "东侧围墙", "西侧围墙", "地下车库", "河道管理范围"]


def payload(kind: str, alarm_type: str, rng: random.Random) -> tuple[str, dict]:
    """A message and the `data` fields of one alarm of `kind` (alarms.domain.schemas.DATA_FIELDS)."""
    plate = f"{rng.choice(PLATES)}{rng.randrange(10000, 99999)}"
    if kind == "face_gate":
        if alarm_type == "watchlist":
            return "人脸比对命中重点人员库", {
                "similarity": round(rng.uniform(0.86, 0.99), 2),
                "person_tag": "重点人员",
                "gate": rng.choice(["东门", "西门", "南门", "北门"]),
            }
        return "陌生人短时间内多次出入", {"similarity": round(rng.uniform(0.3, 0.6), 2), "gate": "东门"}
    if kind == "fence":
        return "检测到越界入侵", {"zone": rng.choice(ZONES), "direction": rng.choice(["in", "out"])}
    if kind == "vehicle":
        return ("车辆在非授权时段异常移动" if alarm_type == "moved" else "楼道内检测到电动车充电"), {
            "vehicle_kind": rng.choice(["e_bike", "e_bike", "motorbike", "tricycle"]),
            "tag_id": f"T{rng.randrange(10**7):07d}",
        }
    if kind == "sand":
        return ("河道内检测到采砂作业" if alarm_type == "illegal_mining" else "夜间堆场作业"), {
            "site": rng.choice(["金马河温江段", "江安河", "杨柳河"]),
            "volume_m3": round(rng.uniform(5, 80), 1),
        }
    if kind == "dust":
        pm10 = rng.randrange(160, 420)
        return f"PM10 {pm10} μg/m³，超过限值", {"pm10": pm10, "pm25": rng.randrange(60, 200), "limit": 150}
    if kind == "waste_truck":
        return {
            "route_deviation": "渣土车偏离核准路线",
            "dumping": "渣土车在非消纳场停留卸载",
            "uncovered": "车厢未密闭",
        }.get(alarm_type, "渣土车告警"), {
            "plate": plate,
            "route_deviation_m": rng.randrange(200, 3000),
            "cargo": "建筑垃圾",
        }
    return "设备告警", {}


@dataclass
class Target:
    code: str
    kind: str
    secret: str
    types: list[str]
    devices: list[str]


def targets() -> list[Target]:
    """The active sources with their active types and devices (re-read now and then: a reset secret)."""
    found = []
    for source in Source.objects.filter(active=True).prefetch_related("types"):
        types = [t.code for t in source.types.all() if t.active]
        devices = list(Device.objects.filter(source=source, active=True).values_list("code", flat=True))
        if types and devices:
            found.append(Target(source.code, source.kind, source.secret, types, devices))
    return found


class Simulator:
    """Sends `per_minute` alarms a minute in all, the sources in turn; some repeat a recent device and
    type (a gate that keeps seeing the same person), which the platform clusters into one event."""

    def __init__(self, url: str, per_minute: float, seed: int | None = None, log=print):
        self.url = url.rstrip("/")
        self.per_minute = per_minute
        self.rng = random.Random(seed)
        self.log = log
        self.recent: list[tuple[Target, str, str]] = []
        self.sent = 0

    def one(self, target: Target) -> int:
        if self.recent and self.rng.random() < 0.3:
            target, device, alarm_type = self.rng.choice(self.recent)
        else:
            device, alarm_type = self.rng.choice(target.devices), self.rng.choice(target.types)
            self.recent = [(target, device, alarm_type), *self.recent][:20]
        message, data = payload(target.kind, alarm_type, self.rng)
        body = json.dumps(
            {
                "alarm_id": uuid.uuid4().hex,
                "device": device,
                "type": alarm_type,
                "occurred_at": timezone.localtime().isoformat(timespec="seconds"),
                "message": message,
                "data": data,
            },
            ensure_ascii=False,
        ).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            f"{self.url}/api/alarms/{target.code}/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Alarm-Timestamp": stamp,
                "X-Alarm-Signature": sign(target.secret, stamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            self.log(f"{target.code} {device} {alarm_type}: {status} {exc.read()[:200]!r}")
        self.sent += 1
        return status

    def run(self, *, count: int | None = None) -> None:
        loaded, found = 0.0, []
        turn = 0
        while count is None or self.sent < count:
            if time.monotonic() - loaded > 60 or not found:
                found, loaded = targets(), time.monotonic()
                if not found:
                    self.log("no active alarm source with devices: waiting")
                    time.sleep(10)
                    continue
            target = found[turn % len(found)]
            turn += 1
            try:
                status = self.one(target)
            except OSError as exc:  # the platform is not up yet, or restarting
                self.log(f"webhook not reachable ({exc}); retrying")
                time.sleep(5)
                continue
            if status in (200, 201):
                self.log(f"alarm {target.code}: {status}")
            if count is None or self.sent < count:
                time.sleep(self.rng.expovariate(self.per_minute / 60.0))
