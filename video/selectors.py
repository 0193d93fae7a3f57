"""Every read of the video app that is more than a .get(): the camera list, the nearest cameras one
may watch, the online rate, tours' frames, walls and the viewing audit. Visibility through
accounts.scope (VIDEO_BY_ROLE); household consent through `watchable_q`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.scope import scope_for
from grids.models import Center, Grid

from .choices import CameraStatus, Network, OwnerKind, Purpose
from .domain import walls
from .models import Camera, Consent, Tour, Viewing, Wall

HOUSEHOLD_Q = Q(network=Network.HUIYAN) | Q(owner_kind=OwnerKind.HOUSEHOLD)


def consent_q(*, center_id: int | None, purpose: str, now: datetime) -> Q:
    """A camera whose household consent in force lets `center_id` watch it for `purpose` now (read
    from the copy on the camera row, Camera.consent_*: a check of the row itself, no join)."""
    if center_id is None:
        return Q(pk__in=[])
    return Q(consent_centers__contains=[center_id], consent_purposes__contains=[purpose]) & (
        Q(consent_until__isnull=True) | Q(consent_until__gt=now)
    )


def watchable_q(user: User, *, purpose: str, now: datetime | None = None) -> Q:
    """Among the cameras the user's scope shows, those they may watch for `purpose` now: their own
    (purpose "own"), or any that is not a household's, or a household's whose consent allows the
    user's center and the purpose. The same rule as video.domain.access.may_watch, in SQL so that
    it rides on an index scan (tests/video/test_services.py compares both on many cases)."""
    now = now or timezone.now()
    if purpose == Purpose.OWN:
        return Q(owner_id=user.pk)
    return ~HOUSEHOLD_Q | consent_q(center_id=user.center_id, purpose=purpose, now=now)


def camera_list(
    user: User,
    *,
    network: str | None = None,
    status: str | None = None,
    center_id: int | None = None,
    search: str | None = None,
) -> QuerySet[Camera]:
    """Cameras the user sees (registry rows), filtered; `center_id` takes that center's subtree;
    `search` is the start of a code or words of a name."""
    queryset = scope_for(user).cameras(Camera.objects.filter(active=True))
    if search:
        queryset = queryset.filter(Q(code__startswith=search) | Q(name__icontains=search))
    if network:
        queryset = queryset.filter(network=network)
    if status:
        queryset = queryset.filter(status=status)
    if center_id is not None:
        center = Center.objects.filter(pk=center_id).only("path").first()
        queryset = queryset.filter(center__path__startswith=center.path) if center else queryset.none()
    return queryset.order_by("code")


# What a nearest-camera answer carries (the API's NearestCameraSerializer, the event page's list).
NEAREST_FIELDS = ("id", "code", "name", "network", "status", "point", "ptz", "codec", "owner_kind", "owner_id",
                  "media_server_id", "stream", "center_id", "grid_id")  # fmt: skip


NEAREST_SQL = """
SELECT id, code, name, network, status, ST_X(point::geometry), ST_Y(point::geometry), ptz, codec, owner_kind,
       owner_id, media_server_id, stream, center_id, grid_id, ST_Distance(point, %(point)s::geography, false)
FROM video_camera
WHERE status = 'online' AND active AND ({scope}) AND ({watchable})
ORDER BY point <-> %(point)s::geography
LIMIT %(n)s
"""
WATCHABLE_SQL = "NOT (network = 'huiyan' OR owner_kind = 'household')"
CONSENT_SQL = (
    "(consent_centers @> ARRAY[%(center)s]::integer[] AND consent_purposes @> ARRAY[%(purpose)s]::varchar(16)[]"
    " AND (consent_until IS NULL OR consent_until > %(now)s))"
)


def _nearest_columns() -> list[str]:
    """NEAREST_FIELDS in the model's field order, as Model.from_db wants them."""
    return [f.attname for f in Camera._meta.concrete_fields if f.attname in NEAREST_FIELDS]


def camera_nearest(
    user: User, point: Point, *, n: int = 10, purpose: str = Purpose.ALARM, now: datetime | None = None
) -> list[Camera]:
    """The `n` online cameras nearest `point` that `user` may watch for `purpose`, nearest first,
    each with `distance_m` (metres, on the sphere: the measure `<->` orders by, so the order and the
    distances agree; within 0.5 % of the spheroid's) and the fields NEAREST_FIELDS loaded (the
    others deferred, as with .only()).

    One query (two for a role that needs video.watch_cameras): a KNN scan (`<->` over the points'
    GiST index) with the scope (Scope.cameras_sql) and the consent check (`watchable_q`'s rule, on
    the camera row's consent copy) in its WHERE, so PostgreSQL stops after `n` rows pass. Written in
    SQL because it is asked at every alarm and event page: the ORM's compiling and model building
    cost several times the query itself (bench/cameras.py); tests/video/test_services.py proves it
    gives the rule's cameras on many random cases."""
    now = now or timezone.now()
    n = max(1, min(int(n), 100))
    scope = scope_for(user).cameras_sql()
    if scope is None:
        return []
    scope_sql, params = scope
    if purpose == Purpose.OWN:
        watchable = "owner_id = %(user)s"
    elif user.center_id is None:
        watchable = WATCHABLE_SQL
    else:
        watchable = f"{WATCHABLE_SQL} OR {CONSENT_SQL}"
    params.update(
        point=f"SRID=4326;POINT({float(point.x)!r} {float(point.y)!r})",
        n=n,
        user=user.pk,
        center=user.center_id,
        purpose=str(purpose),
        now=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(NEAREST_SQL.format(scope=scope_sql, watchable=watchable), params)
        rows = cursor.fetchall()
    out = []
    for pk, code, name, network, status, x, y, ptz, codec, owner_kind, owner, server, stream, center, grid, d in rows:
        values = {
            "id": pk, "code": code, "name": name, "network": network, "status": status,
            "point": Point(x, y, srid=4326), "ptz": ptz, "codec": codec, "owner_kind": owner_kind, "owner_id": owner,
            "media_server_id": server, "stream": stream, "center_id": center, "grid_id": grid,
        }  # fmt: skip
        # As the ORM builds a row of .only(): the other fields deferred (read on access).
        camera = Camera.from_db("default", _nearest_columns(), [values[a] for a in _nearest_columns()])
        camera.distance_m = d
        out.append(camera)
    return out


@dataclass(frozen=True)
class OnlineRate:
    key: str  # a network code, or a center's id as a string
    name: str
    total: int
    online: int

    @property
    def rate(self) -> float | None:
        return round(self.online / self.total, 4) if self.total else None


BY = ("network", "district", "town", "community")


def _status_counts(queryset: QuerySet[Camera], by: str = "center_id") -> list[dict]:
    """Cameras counted per `by` (a center's or a grid's id) and network: total and online."""
    return list(
        queryset.order_by()
        .values(by, "network")
        .annotate(total=Count("pk"), online=Count("pk", filter=Q(status=CameraStatus.ONLINE)))
    )


def _rates_by_network(rows: list[dict]) -> list[OnlineRate]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        totals[row["network"]][0] += row["total"]
        totals[row["network"]][1] += row["online"]
    return [
        OnlineRate(key=n, name=str(label), total=totals[n][0], online=totals[n][1])
        for n, label in Network.choices
        if n in totals
    ]


def _rates_by(rows: list[dict], by: str, place: dict[int, tuple[int, str]]) -> list[OnlineRate]:
    """The rows summed by the place each row's `by` lies in (`place`: id → (place id, name)); rows
    placed nowhere (a camera above the places' level) are left out. Sorted by name."""
    totals: dict[int, list] = {}
    for row in rows:
        found = place.get(row[by])
        if found is None:
            continue
        entry = totals.setdefault(found[0], [found[1], 0, 0])
        entry[1] += row["total"]
        entry[2] += row["online"]
    return sorted(
        (
            OnlineRate(key=str(pk), name=name, total=total, online=online)
            for pk, (name, total, online) in totals.items()
        ),
        key=lambda r: r.name,
    )


def camera_online_rate(user: User, *, by: str = "network", center_id: int | None = None) -> list[OnlineRate]:
    """The online rate of the cameras the user sees (in service), by network or by the center at a
    level (district, town, community) the cameras lie under — one definition for dashboards and the
    API. Two queries (counts per center and network; the centers), three with a center filter."""
    rows = _status_counts(camera_list(user, center_id=center_id))
    if by == "network":
        return _rates_by_network(rows)
    if by not in BY:
        raise ValueError(by)
    centers = {c.pk: c for c in Center.objects.filter(pk__in={r["center_id"] for r in rows}).only("pk", "path")}
    codes = {code for c in centers.values() for code in c.path.strip("/").split("/")}
    at_level = {c.code: c for c in Center.objects.filter(code__in=codes, level=by).only("pk", "code", "name")}
    place = {}
    for pk, center in centers.items():
        found = next((at_level[code] for code in center.path.strip("/").split("/") if code in at_level), None)
        if found is not None:
            place[pk] = (found.pk, found.name)
    return _rates_by(rows, "center_id", place)


def _rate_dict(rate: OnlineRate, *, name: bool = True) -> dict:
    row = {"key": rate.key, "total": rate.total, "online": rate.online, "rate": rate.rate}
    if name:
        row["name"] = rate.name
    return row


def center_online_figures(center: Center) -> dict:
    """The video panel of `center`'s live dashboard: the online rate of the cameras in service in its
    subtree, in all, by network and by child — towns for a district, communities for a town, grids
    for a community —, counted as `camera_online_rate` counts them for a user who sees that subtree
    (tests/live/test_video_panel.py compares the two). It needs no user: the same for every viewer
    of the center's dashboard stream (wenjiang_ops.live.snapshot.counts_for). Two queries (three
    for a community).

    `{"total", "online", "rate", "child_level", "by_network": [{key, total, online, rate}],
    "by_child": [{key, name, total, online, rate}]}`; networks by code (the page names them in its
    language), children by name."""
    subtree = list(
        Center.objects.filter(path__startswith=center.path).values_list("pk", "path", "depth", "name", "level")
    )
    children = {path.strip("/").split("/")[-1]: (pk, name, level) for pk, path, depth, name, level in subtree
                if depth == center.depth + 1}  # fmt: skip
    # The subtree as a subquery, as Scope.cameras has it (no list of thousands of ids in a city).
    cameras = Camera.objects.filter(
        active=True, center_id__in=Center.objects.filter(path__startswith=center.path).values("id")
    )
    if children:
        rows = _status_counts(cameras)
        place = {}
        for pk, path, _depth, _name, _level in subtree:
            codes = path.strip("/").split("/")
            child = children.get(codes[center.depth + 1]) if len(codes) > center.depth + 1 else None
            if child is not None:
                place[pk] = (child[0], child[1])
        by_child = _rates_by(rows, "center_id", place)
        child_level = next(iter(children.values()))[2]
    else:
        rows = _status_counts(cameras, "grid_id")
        grids = Grid.objects.filter(pk__in={r["grid_id"] for r in rows if r["grid_id"]}).values_list("pk", "name")
        by_child = _rates_by(rows, "grid_id", {pk: (pk, name) for pk, name in grids})
        child_level = "grid"
    total = sum(r["total"] for r in rows)
    online = sum(r["online"] for r in rows)
    return {
        "total": total,
        "online": online,
        "rate": round(online / total, 4) if total else None,
        "child_level": child_level,
        "by_network": [_rate_dict(r, name=False) for r in _rates_by_network(rows)],
        "by_child": [_rate_dict(r) for r in by_child],
    }


def walls_list(user: User) -> QuerySet[Wall]:
    from .services import visible_walls

    return visible_walls(user).select_related("center", "layout", "tour").order_by("center__path", "name")


def tours_list(user: User) -> QuerySet[Tour]:
    from .services import visible_tours

    return visible_tours(user).select_related("center").order_by("center__path", "name")


@dataclass(frozen=True)
class TourFrame:
    cameras: list[Camera]
    dwell: int
    step: int


def tour_frames(user: User, tour: Tour, *, now: datetime | None = None, tiles: int | None = None) -> list[TourFrame]:
    """A tour's frames for `user` on a wall of `tiles` tiles (the tour's own by default): only the
    cameras they may watch for patrol now (a household camera without consent for their center and
    patrol is left out, and a group shrinks). Three queries."""
    now = now or timezone.now()
    steps = list(tour.steps.select_related("camera").order_by("position"))
    group_ids = [s.group_id for s in steps if s.group_id]
    members: dict[int, list[int]] = defaultdict(list)
    if group_ids:
        from .models import GroupMember

        for group_id, camera_id in (
            GroupMember.objects.filter(group_id__in=group_ids)
            .order_by("group_id", "position", "id")
            .values_list("group_id", "camera_id")
        ):
            members[group_id].append(camera_id)
    wanted = {s.camera_id for s in steps if s.camera_id} | {c for ids in members.values() for c in ids}
    allowed = {
        c.pk: c
        for c in scope_for(user)
        .cameras(Camera.objects.filter(pk__in=wanted, active=True))
        .filter(watchable_q(user, purpose=Purpose.PATROL, now=now))
        .select_related("media_server")
    }
    plain = []
    for step in steps:
        ids = [step.camera_id] if step.camera_id else members.get(step.group_id, [])
        plain.append(
            walls.Step(
                cameras=tuple(pk for pk in ids if pk in allowed), dwell=step.dwell_seconds, group=bool(step.group_id)
            )
        )
    return [
        TourFrame(cameras=[allowed[pk] for pk in frame.cameras], dwell=frame.dwell, step=frame.step)
        for frame in walls.frames(plain, tiles or tour.tiles)
    ]


def viewing_list(user: User, *, camera_id: int | None = None, event_id: int | None = None) -> QuerySet[Viewing]:
    """Viewing records the user may read: their own; a center's, those of the cameras in its
    scope; a household's, everyone's viewings of its cameras (who, when, how long, why)."""
    scope = scope_for(user)
    seen = Q(user_id=user.pk) | Q(camera__owner_id=user.pk)
    if scope.video in ("everything", "subtree"):
        seen |= Q(camera__in=scope.cameras(Camera.objects.all()).values("pk"))
    queryset = Viewing.objects.filter(seen)
    if camera_id is not None:
        queryset = queryset.filter(camera_id=camera_id)
    if event_id is not None:
        queryset = queryset.filter(event_id=event_id)
    return queryset.select_related("camera", "user", "center").order_by("-started_at")


def viewings_of_my_cameras(user: User) -> QuerySet[Viewing]:
    """For a household: who watched its cameras, when, how long and why (its own viewings too)."""
    return (
        Viewing.objects.filter(camera__owner_id=user.pk)
        .select_related("camera", "user", "center", "event")
        .order_by("-started_at")
    )


def my_cameras(user: User) -> QuerySet[Camera]:
    """A household's own cameras, each with its consent in force prefetched (`consents_in_force`)."""
    from django.db.models import Prefetch

    return (
        Camera.objects.filter(owner_id=user.pk)
        .prefetch_related(
            Prefetch(
                "consents",
                Consent.objects.filter(revoked_at__isnull=True).prefetch_related("centers"),
                to_attr="consents_in_force",
            )
        )
        .select_related("center", "media_server")
        .order_by("code")
    )
