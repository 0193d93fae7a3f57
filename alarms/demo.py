"""Demo alarm sources for the six kinds of the seed, a few hundred devices in the demo grids, their
mappings, and some history (clusters behind the demo year's IoT events). Fast: a few SQL statements."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import time, timedelta

from django.contrib.gis.geos import Point
from django.db import connection

from events.choices import Source as EventSource
from events.models import Event, EventCategory
from grids.models import Department

from . import services
from .choices import Kind, Status
from .models import Alarm, AlarmCluster, AlarmType, Device, Source

SEED = 15015
DEMO_ADDRESSES = "127.0.0.0/8\n::1/128"

# code, name, kind, department code, device count, device name pattern,
# [(type code, type name, category code, urgent, threshold, threshold window, quiet hours)]
SOURCES = [
    (
        "safe-compound",
        "智慧平安小区人脸门禁",
        Kind.FACE_GATE,
        "police",
        120,
        "{grid}小区{n}号门",
        [
            ("watchlist", "重点人员抓拍", "ps-suspicious", True, 1, 10, None),
            ("stranger", "陌生人多次出入", "ps-suspicious", False, 3, 30, None),
        ],
    ),
    (
        "e-fence",
        "电子围栏",
        Kind.FENCE,
        "police",
        30,
        "{grid}围栏{n}",
        [("intrusion", "区域入侵", "ps-suspicious", False, 2, 10, None)],
    ),
    (
        "three-vehicles",
        "三车智防",
        Kind.VEHICLE,
        "police",
        60,
        "{grid}三车读卡基站{n}",
        [
            ("moved", "车辆异常移动（疑似被盗）", "rt-three-vehicles", False, 1, 10, None),
            ("charging", "楼道违规充电", "fs-ebike", False, 1, 10, None),
        ],
    ),
    (
        "sand-gravel",
        "砂石管理",
        Kind.SAND,
        "water",
        15,
        "{grid}砂石监测点{n}",
        [
            ("illegal_mining", "疑似非法采砂", "sa-water", True, 1, 10, None),
            ("night_work", "夜间违规作业", "sa-noise", False, 2, 20, None),
        ],
    ),
    (
        "dust-monitor",
        "扬尘在线监测",
        Kind.DUST,
        "ecology",
        40,
        "{grid}扬尘监测仪{n}",
        # Night fog reads as dust: the monitors' alarms make no event from 23:00 to 06:00.
        [("pm10_exceeded", "PM10 超标", "sa-dust", False, 3, 30, (time(23, 0), time(6, 0)))],
    ),
    (
        "waste-trucks",
        "建筑垃圾运输监管",
        Kind.WASTE_TRUCK,
        "urban-management",
        40,
        "{grid}渣土车卡口{n}",
        [
            ("route_deviation", "偏离核准路线", "sa-garbage", False, 2, 30, None),
            ("dumping", "疑似偷倒", "sa-garbage", True, 1, 10, None),
            ("uncovered", "未密闭运输", "sa-dust", False, 1, 10, None),
        ],
    ),
]

_POINTS = """
SELECT g.id, g.center_id, g.name, ST_X(p.geom), ST_Y(p.geom)
FROM (SELECT id, center_id, name, boundary FROM grids_grid ORDER BY code) g,
     LATERAL ST_Dump(ST_GeneratePoints(g.boundary, 1, %s + g.id::int)) p
"""


def seed_alarms(log: Callable[[str], None], *, history: bool = True) -> None:
    """The demo's sources, devices and (with `history`) clusters behind the year's IoT events. Once."""
    if Source.objects.filter(code=SOURCES[0][0]).exists():
        log("alarm sources: already there")
        return
    rng = random.Random(SEED)
    departments = {d.code: d for d in Department.objects.all()}
    categories = dict(EventCategory.objects.values_list("code", "id"))
    with connection.cursor() as cursor:
        cursor.execute(_POINTS, [SEED])
        spots = cursor.fetchall()
    devices: list[Device] = []
    for code, name, kind, department, count, pattern, types in SOURCES:
        source = Source(
            code=code,
            name=name,
            kind=kind,
            department=departments[department],
            allowed_addresses=DEMO_ADDRESSES,
            rate_limit_count=600,
            rate_limit_seconds=60,
        )
        services.source_save(source=source)
        AlarmType.objects.bulk_create(
            AlarmType(
                source=source,
                code=t_code,
                name=t_name,
                category_id=categories[category],
                urgent=urgent,
                threshold=threshold,
                threshold_window_minutes=window,
                quiet_from=quiet[0] if quiet else None,
                quiet_to=quiet[1] if quiet else None,
            )
            for t_code, t_name, category, urgent, threshold, window, quiet in types
        )
        for n, (grid_id, center_id, grid_name, x, y) in enumerate(rng.sample(spots, count), start=1):
            devices.append(
                Device(
                    source=source,
                    code=f"{code[:2].upper()}{n:05d}",
                    name=pattern.format(grid=grid_name.removesuffix("网格"), n=n % 9 + 1),
                    location=Point(x, y, srid=4326),
                    grid_id=grid_id,
                    center_id=center_id,
                )
            )
    Device.objects.bulk_create(devices, batch_size=1000)
    log(f"alarm sources: {len(SOURCES)}, devices: {len(devices)}")
    if history:
        _history(rng, log)


def _history(rng: random.Random, log: Callable[[str], None]) -> None:
    """Clusters (and their alarms) behind the demo year's IoT events of the mapped categories: the
    event page shows which device raised them."""
    types_by_category: dict[int, list[AlarmType]] = defaultdict(list)
    for alarm_type in AlarmType.objects.select_related("source"):
        types_by_category[alarm_type.category_id].append(alarm_type)
    devices_by_source_center: dict[tuple[int, int], list[Device]] = defaultdict(list)
    for device in Device.objects.all():
        devices_by_source_center[(device.source_id, device.center_id)].append(device)
    clusters, alarms = [], []
    events = Event.objects.filter(source=EventSource.IOT, category_id__in=list(types_by_category)).only(
        "id", "category_id", "origin_center_id", "created_at"
    )
    for event in events:
        options = [
            (t, d)
            for t in types_by_category[event.category_id]
            for d in devices_by_source_center.get((t.source_id, event.origin_center_id), [])
        ]
        if not options:
            continue
        alarm_type, device = rng.choice(options)
        count = max(alarm_type.threshold, rng.choice([1, 1, 2, 3, 5]))
        times = [event.created_at - timedelta(minutes=2 * k) for k in range(count)][::-1]
        cluster = AlarmCluster(
            device=device,
            alarm_type=alarm_type,
            event_id=event.pk,
            count=count,
            first_seen_at=times[0],
            last_seen_at=times[-1],
        )
        clusters.append(cluster)
        for k, at in enumerate(times):
            alarms.append(
                Alarm(
                    source_id=alarm_type.source_id,
                    external_id=f"demo-{event.pk}-{k}",
                    device=device,
                    alarm_type=alarm_type,
                    occurred_at=at,
                    received_at=at,
                    payload={"message": "", "data": {}},
                    status=_status(k, alarm_type.threshold),
                    processed_at=at,
                    cluster=cluster,
                )
            )
    AlarmCluster.objects.bulk_create(clusters, batch_size=2000)
    for alarm in alarms:
        alarm.cluster_id = alarm.cluster.pk
    Alarm.objects.bulk_create(alarms, batch_size=5000)
    log(f"alarm history: {len(clusters)} clusters behind the year's IoT events, {len(alarms)} alarms")


def _status(k: int, threshold: int) -> str:
    """What the k-th alarm of a cluster did: counted below the threshold, made the event, or joined it."""
    if k < threshold - 1:
        return Status.BELOW_THRESHOLD
    return Status.EVENT if k == threshold - 1 else Status.CLUSTERED
