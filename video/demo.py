"""The demo's cameras: the district's three networks at the seed's scale (≈2,000 天网, 909 雪亮,
5,000 慧眼, 1,000+ of them in 寿安镇), placed in the demo grids with valid GB/T 28181 codes and a
realistic online rate, a few households with consent, and 24 cameras backed by live test-pattern
streams (`demo-01` … `demo-24`, published by `manage.py camera_streams` into the local nginx-rtmp).
Written in bulk: a few seconds."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from grids.choices import GridKind, Level
from grids.models import Center, Grid

from .choices import CameraStatus, Codec, Network, OwnerKind, Purpose, Tiles
from .domain import gbcode
from .models import Camera, Consent, MediaServer, Tour, TourStep, Wall, WallLayout, WallSlot

SEED = 20261201
COUNTS = {Network.TIANWANG: 2000, Network.XUELIANG: 909, Network.HUIYAN: 5000}
SHOUAN_HUIYAN = 1100  # 寿安镇's household cameras (the seed: 1,000+)
ONLINE = {Network.TIANWANG: 0.95, Network.XUELIANG: 0.89, Network.HUIYAN: 0.86}
LIVE = 24
# GB/T 28181 parts per network: industry, type, network digit.
PARTS = {
    Network.TIANWANG: ("00", "132", "1"),  # social security road access, IPC, video private network
    Network.XUELIANG: ("01", "132", "6"),  # community access, e-government extranet
    Network.HUIYAN: ("03", "131", "7"),  # other access, internet
}
HOUSEHOLDS = 5
NAMES = {Network.TIANWANG: "天网", Network.XUELIANG: "雪亮", Network.HUIYAN: "慧眼"}
SPOTS = ["路口", "广场", "学校门口", "菜市场", "小区大门", "公交站", "河堤", "桥头", "商业街", "停车场", "村口", "院坝"]


def local_server() -> MediaServer:
    """The demo's nginx-rtmp (video-live's `manage.py media_server`), from the VIDEO_* settings."""
    # The VIDEO_MEDIA_* settings are video-live's (the media server it runs); these are their defaults.
    hls = getattr(settings, "VIDEO_MEDIA_HLS_URL", "http://127.0.0.1:8088/hls").rstrip("/")
    server, _ = MediaServer.objects.update_or_create(
        slug=getattr(settings, "VIDEO_LOCAL_SERVER", "local"),
        defaults={
            "name": "本地流媒体 (nginx-rtmp)",
            "kind": "nginx_rtmp",
            "api_url": hls.rsplit("/", 1)[0] + "/stat",
            "rtmp_url": getattr(settings, "VIDEO_MEDIA_RTMP_URL", "rtmp://127.0.0.1:1935/live"),
            "hls_url": hls,
            "hls_dir": getattr(settings, "VIDEO_HLS_DIR", ""),
        },
    )
    return server


def _civil(town_code: str) -> str:
    """The 8-digit civil code of a camera of a town: a street office's two digits, else the district."""
    return town_code[:6] + (town_code[7:9] if town_code[6] == "0" else "00")


def _point_in(grid: Grid, rng: random.Random) -> Point:
    prepared = grid.boundary.prepared
    xmin, ymin, xmax, ymax = grid.boundary.extent
    for _ in range(200):
        p = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if prepared.contains(p):
            return p
    return grid.boundary.point_on_surface


def seed_video(log: Callable[[str], None]) -> None:
    """Seeds the cameras once (a second run changes nothing but the local server's URLs), then the
    walls and patrol tours of the district and the towns (seed_walls: made once each)."""
    server = local_server()
    if Camera.objects.exists():
        log(f"cameras: {Camera.objects.count()} already there")
    else:
        _seed_cameras(log, server)
    seed_walls(log)


def _seed_cameras(log: Callable[[str], None], server: MediaServer) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    grids = list(Grid.objects.filter(kind=GridKind.COMPREHENSIVE).select_related("center__parent").order_by("code"))
    if not grids:
        return
    town_of = {g.pk: g.center.parent for g in grids}
    shouan = [g for g in grids if town_of[g.pk] and town_of[g.pk].name == "寿安镇"]
    serial: dict[str, int] = {}
    cameras: list[Camera] = []

    def add(network: str, grid: Grid, *, name: str | None = None, status: str | None = None, **extra) -> Camera:
        industry, gb_type, digit = PARTS.get(network, ("00", "131", "0"))
        civil = _civil(town_of[grid.pk].code if town_of[grid.pk] else grid.center.code)
        key = civil + industry + gb_type + digit
        serial[key] = serial.get(key, 0) + 1
        code = gbcode.make(civil=civil, industry=industry, type=gb_type, network=digit, serial=serial[key])
        if status is None:
            status = (
                CameraStatus.ONLINE
                if rng.random() < ONLINE[network]
                else (CameraStatus.STALLED if rng.random() < 0.15 else CameraStatus.OFFLINE)
            )
        camera = Camera(
            code=code,
            name=name or f"{grid.center.name}{rng.choice(SPOTS)}{NAMES.get(network, '')}{serial[key]:04d}",
            network=network,
            gb_type=gb_type,
            gb_network=digit,
            point=_point_in(grid, rng),
            grid=grid,
            center=grid.center,
            ptz=network != Network.HUIYAN and rng.random() < 0.15,
            codec=Codec.H265 if network == Network.TIANWANG and rng.random() < 0.05 else Codec.H264,
            status=status,
            status_changed_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 7)),
            last_seen_at=now if status == CameraStatus.ONLINE else now - timedelta(hours=rng.randint(1, 72)),
            **extra,
        )
        cameras.append(camera)
        return camera

    # 24 live cameras first: 8 in 航天路社区 (where the demo accounts work), the rest one or two per town.
    hangtianlu = [g for g in grids if g.center.name == "航天路社区"]
    towns: dict[int, list[Grid]] = {}
    for g in grids:
        towns.setdefault(town_of[g.pk].pk if town_of[g.pk] else 0, []).append(g)
    live_grids = [hangtianlu[i % len(hangtianlu)] for i in range(8)] if hangtianlu else []
    town_lists = list(towns.values())
    while len(live_grids) < LIVE:
        live_grids.append(rng.choice(town_lists[len(live_grids) % len(town_lists)]))
    for i, grid in enumerate(live_grids[:LIVE], start=1):
        add(
            rng.choice([Network.TIANWANG, Network.XUELIANG]),
            grid,
            name=f"{grid.center.name}实景{i:02d}",
            status=CameraStatus.UNKNOWN,  # the publish hook sets it online when its stream starts
            media_server=server,
            stream=f"demo-{i:02d}",
        )
    for _ in range(COUNTS[Network.TIANWANG] - sum(1 for c in cameras if c.network == Network.TIANWANG)):
        add(Network.TIANWANG, rng.choice(grids))
    for i in range(COUNTS[Network.XUELIANG] - sum(1 for c in cameras if c.network == Network.XUELIANG)):
        add(Network.XUELIANG, grids[i % len(grids)])  # every village and community has some
    households = _households(server)
    for i in range(COUNTS[Network.HUIYAN]):
        grid = shouan[i % len(shouan)] if i < SHOUAN_HUIYAN and shouan else rng.choice(grids)
        add(Network.HUIYAN, grid, owner_kind=OwnerKind.HOUSEHOLD)
    # The demo households own two cameras each, in 航天路社区 (live ones, so that they watch themselves).
    live_household = [c for c in cameras if c.stream][: HOUSEHOLDS * 2]
    for i, camera in enumerate(live_household):
        camera.network, camera.owner_kind, camera.owner = Network.HUIYAN, OwnerKind.HOUSEHOLD, households[i // 2]
        industry, gb_type, digit = PARTS[Network.HUIYAN]
        civil = camera.code[:8]
        key = civil + industry + gb_type + digit
        serial[key] = serial.get(key, 0) + 1
        camera.code = gbcode.make(civil=civil, industry=industry, type=gb_type, network=digit, serial=serial[key])
        camera.gb_type, camera.gb_network = gb_type, digit
        camera.ptz, camera.codec = False, Codec.H264
    with transaction.atomic():
        Camera.objects.bulk_create(cameras, batch_size=2000)
        consents = _consents(cameras, rng, now)
    online = sum(1 for c in cameras if c.status == CameraStatus.ONLINE)
    by_network = {n: sum(1 for c in cameras if c.network == n) for n in NAMES}
    log(
        f"cameras: {len(cameras)} ({', '.join(f'{NAMES[n]} {by_network[n]}' for n in NAMES)}), "
        f"{online / len(cameras):.0%} online, {LIVE} live streams on {server.slug}, {consents} household consents"
    )


def _households(server) -> list[User]:
    community = Center.objects.filter(name="航天路社区", level=Level.COMMUNITY).first()
    from grids.demo.seed import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    out = []
    for i in range(1, HOUSEHOLDS + 1):
        user, _ = User.objects.get_or_create(
            username=f"household{i}",
            defaults={
                "role": Role.RESIDENT,
                "center": community,
                "last_name": "住户",
                "first_name": str(i),
                "password": password,
            },
        )
        out.append(user)
    return out


def _consents(cameras: list[Camera], rng: random.Random, now) -> int:
    """≈70 % of the household cameras consent to their community and town for alarms, ≈40 % for patrol too."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    parents = dict(Center.objects.values_list("pk", "parent_id"))
    rows, centers = [], []
    for camera in cameras:
        if not camera.household or (camera.owner_id is None and rng.random() > 0.7):
            continue
        purposes = [Purpose.ALARM, Purpose.PATROL] if rng.random() < 0.4 or camera.owner_id else [Purpose.ALARM]
        given_by = camera.owner or admin
        if given_by is None:
            continue
        rows.append(
            Consent(
                camera=camera, given_by=given_by, purposes=purposes, given_at=now - timedelta(days=rng.randint(1, 300))
            )
        )
        centers.append([c for c in (camera.center_id, parents.get(camera.center_id)) if c])
    Consent.objects.bulk_create(rows, batch_size=2000)
    through = Consent.centers.through
    through.objects.bulk_create(
        [through(consent_id=consent.pk, center_id=c) for consent, ids in zip(rows, centers, strict=True) for c in ids],
        batch_size=5000,
    )
    from .services import consents_copy_all

    consents_copy_all()
    return len(rows)


# --- walls and patrol tours ----------------------------------------------------------------------------

WALL_NAME = "指挥大厅"
LAYOUT_NAME = "实景画面"
TOUR_NAME = "日常巡屏"
WALL_TILES = {Level.DISTRICT: Tiles.SIXTEEN, Level.TOWN: Tiles.NINE}
TOUR_STEPS = 8
TOUR_DWELL = 15


def _wall_cameras(center: Center, n: int) -> tuple[list[Camera], list[Camera]]:
    """What the center may watch on patrol in its subtree, as (live, the rest of the registry): the live
    test-pattern cameras first, then registry cameras (online first), `n` in all, by code. A household
    camera only with its consent for this center and patrol (as video.selectors.watchable_q)."""
    from .selectors import HOUSEHOLD_Q, consent_q

    watchable = ~HOUSEHOLD_Q | consent_q(center_id=center.pk, purpose=Purpose.PATROL, now=timezone.now())
    cameras = Camera.objects.filter(active=True, center__path__startswith=center.path).filter(watchable)
    live = list(cameras.filter(stream__startswith="demo-", media_server__isnull=False).order_by("stream")[:n])
    rest = list(
        cameras.exclude(pk__in=[c.pk for c in live])
        .filter(status=CameraStatus.ONLINE)
        .order_by("code")[: max(0, n - len(live))]
    )
    return live, rest


def seed_walls(log: Callable[[str], None]) -> None:
    """A saved wall per center — the district's 4×4, each town's 3×3 — showing a layout of the live
    test-pattern cameras and then the rest of the registry, and a patrol tour per center: its live
    cameras, then registry ones, one after the other, 15 s each. Each wall, layout and tour is made
    once (by its center and name) and left alone afterwards: a second run changes nothing, and a
    center's own changes stay."""
    centers = list(Center.objects.filter(level__in=list(WALL_TILES)).defer("boundary").order_by("path"))
    made = {"walls": 0, "tours": 0}
    with transaction.atomic():
        for center in centers:
            tiles = WALL_TILES[center.level]
            live, rest = _wall_cameras(center, tiles)
            wall, created = Wall.objects.get_or_create(center=center, name=WALL_NAME)
            layout, new_layout = WallLayout.objects.get_or_create(
                wall=wall, name=LAYOUT_NAME, defaults={"tiles": tiles}
            )
            if new_layout:
                WallSlot.objects.bulk_create(
                    [WallSlot(layout=layout, position=i, camera=c) for i, c in enumerate([*live, *rest][:tiles])]
                )
            if created:
                Wall.objects.filter(pk=wall.pk).update(layout=layout)
                made["walls"] += 1
            tour, new_tour = Tour.objects.get_or_create(center=center, name=TOUR_NAME, defaults={"tiles": Tiles.ONE})
            if new_tour:
                steps = [*live, *rest][:TOUR_STEPS]
                TourStep.objects.bulk_create(
                    [TourStep(tour=tour, position=i, camera=c, dwell_seconds=TOUR_DWELL) for i, c in enumerate(steps)]
                )
                made["tours"] += 1
    log(f"video walls: {made['walls']} made, tours: {made['tours']} made ({len(centers)} centers)")
