"""Nearest-camera benchmark (`make bench-cameras`): 160,000 cameras (a city's worth, DESIGN.md's
scale table) in the benchmark database; the 10 nearest online cameras a user may watch for an alarm,
as the API asks them — `video.selectors.camera_nearest`, in process (the scope's center list, then one
KNN query with the permission and the household-consent conditions inside it) — beside the bare
PostGIS KNN query of the same points through psycopg2 (online cameras by `<->`, nothing else), in the
same run, after VACUUM ANALYZE and a warm-up.

The cameras: the demo district's 7,900 (seed_demo), plus 152,100 written by COPY over the Chengdu
plain (≈14,000 km², 103.0–104.9 E, 30.1–31.4 N): those inside Wenjiang take their grid's community,
the others one of 22 sibling districts; 25 % 天网, 15 % 雪亮, 60 % 慧眼 (70 % of them with consent for
their community and town), 90 % online. The users: the district duty officer, a town's and a
community's staff, each asking at random points of their own area.

Checked: every answer has 10 rows; the permission and consent conditions do filter (the bare query's
10 differ from the selector's on most points); the selector's SQL uses the online cameras' GiST index.
The last line is one JSON object: `ratio` (selector p99 ÷ bare p99), `p99_ms`, `bare_p99_ms`. Target:
ratio ≤ 2."""

from __future__ import annotations

import io
import json
import random
import statistics
import sys
import time

from common import BENCH_URL, django_setup, percentile, prepare_database

TOTAL = 160_000
QUERIES = 400  # per user, after WARMUP
WARMUP = 60
SEED = 160000
BOX = (103.0, 30.1, 104.9, 31.4)
SIBLINGS = 22
NETWORKS = [("tianwang", 0.25), ("xueliang", 0.15), ("huiyan", 0.60)]


def _dsn() -> str:
    return BENCH_URL.replace("postgis://", "postgresql://")


def fill(log) -> None:
    """Tops the benchmark database up to TOTAL cameras (COPY), once; then VACUUM ANALYZE."""
    from django.db import connection

    from grids.models import Center
    from video.models import Camera

    have = Camera.objects.count()
    if have >= TOTAL:
        log(f"cameras: {have} already there")
    else:
        rng = random.Random(SEED)
        siblings = []
        for i in range(SIBLINGS):
            code = f"5101{50 + i:02d}000000"
            center, _ = Center.objects.get_or_create(
                code=code, defaults={"name": f"基准区{i + 1:02d}", "level": "district"}
            )
            siblings.append(center.pk)
        with connection.cursor() as cursor:
            cursor.execute("select max(id) from video_camera")
            first_id = (cursor.fetchone()[0] or 0) + 1
        buffer = io.StringIO()
        now = "2026-12-01 00:00:00+08"
        for n in range(TOTAL - have):
            lng, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
            pick, network = rng.random(), "huiyan"
            for name, share in NETWORKS:
                if pick < share:
                    network = name
                    break
                pick -= share
            status = "online" if rng.random() < 0.9 else "offline"
            center = siblings[int((lng - BOX[0]) / (BOX[2] - BOX[0]) * SIBLINGS) % SIBLINGS]
            code = f"51019900{'03' if network == 'huiyan' else '00'}1327{n:06d}"
            owner_kind = "household" if network == "huiyan" else ""
            buffer.write(
                f"{code}\t基准点位{n}\t{network}\t132\t7\tSRID=4326;POINT({lng:.6f} {lat:.6f})\t\t\\N\t{center}"
                f"\tf\th264\t\\N\t\t\t"
                f"{owner_kind}\t\\N\t\t{status}\t{now}\t{now}\tt\t{now}\t{now}\t{{}}\t{{}}\n"
            )
        buffer.seek(0)
        # consent_centers and consent_purposes start empty: consents_copy_all fills them below.
        columns = ("code, name, network, gb_type, gb_network, point, address, grid_id, center_id, ptz, codec, "
                   "media_server_id, stream, device_code, owner_kind, owner_id, owner_org, status, "
                   "status_changed_at, last_seen_at, active, created_at, updated_at, "
                   "consent_centers, consent_purposes")  # fmt: skip
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY video_camera ({columns}) FROM STDIN", buffer)
            # Those inside Wenjiang: their grid's community.
            cursor.execute(
                """update video_camera c set grid_id = g.id, center_id = g.center_id
                   from grids_grid g
                   where c.id >= %s and g.kind = 'comprehensive' and st_intersects(g.boundary, c.point::geometry)""",
                [first_id],
            )
            inside = cursor.rowcount
            # Consent for 70 % of the new household cameras: their community and its town, for alarms.
            cursor.execute("select id from accounts_user where is_superuser order by id limit 1")
            admin_id = cursor.fetchone()[0]
            cursor.execute(
                """insert into video_consent (camera_id, given_by_id, purposes, given_at)
                   select id, %s, '{alarm}', now() from video_camera
                   where id >= %s and network = 'huiyan' and (hashtext(code) & 1023) < 717""",
                [admin_id, first_id],
            )
            cursor.execute(
                """insert into video_consent_centers (consent_id, center_id)
                   select k.id, c.center_id from video_consent k join video_camera c on c.id = k.camera_id
                   where c.id >= %s
                   union all
                   select k.id, ce.parent_id from video_consent k join video_camera c on c.id = k.camera_id
                   join grids_center ce on ce.id = c.center_id where c.id >= %s and ce.parent_id is not null""",
                [first_id, first_id],
            )
        from video.services import consents_copy_all

        consents_copy_all()  # onto the camera rows, where the nearest query reads them
        log(f"cameras: {TOTAL - have} added by COPY ({inside} inside Wenjiang), {Camera.objects.count()} in all")
    with connection.cursor() as cursor:
        cursor.execute("vacuum analyze video_camera")
        cursor.execute("vacuum analyze video_consent")
        cursor.execute("vacuum analyze video_consent_centers")


def points_of(user, n: int, rng: random.Random):
    """`n` random points inside the grids of the user's area."""
    from django.contrib.gis.geos import Point

    from accounts.scope import scope_for

    grids = list(scope_for(user).grids().only("boundary"))
    out = []
    while len(out) < n:
        grid = rng.choice(grids)
        xmin, ymin, xmax, ymax = grid.boundary.extent
        p = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if grid.boundary.contains(p):
            out.append(p)
    return out


def main() -> None:
    log = lambda line: print(line, flush=True)  # noqa: E731
    prepare_database()
    django_setup()
    import psycopg2
    from django.db import connection

    from accounts.models import User
    from video.selectors import camera_nearest

    fill(log)
    rng = random.Random(SEED + 1)
    users = [User.objects.select_related("center").get(username=u) for u in ("duty", "liucheng", "hangtianlu")]
    bare = psycopg2.connect(_dsn())
    bare.autocommit = True
    bare_cursor = bare.cursor()
    bare_sql = (
        "select id, st_distance(point, %s::geography, false) from video_camera "
        "where status = 'online' and active order by point <-> %s::geography limit 10"
    )

    def run_bare(p):
        wkt = f"SRID=4326;POINT({p.x!r} {p.y!r})"
        bare_cursor.execute(bare_sql, (wkt, wkt))
        return [row[0] for row in bare_cursor.fetchall()]

    # The plan of the selector's own SQL: a KNN scan of a GiST index on the points, the conditions
    # as a filter on it.
    from django.test.utils import CaptureQueriesContext

    sample = points_of(users[1], 1, rng)[0]
    with CaptureQueriesContext(connection) as captured:
        camera_nearest(users[1], sample, n=10, purpose="alarm")
    with connection.cursor() as cursor:
        cursor.execute("explain " + captured.captured_queries[-1]["sql"])
        queryset_sql = "\n".join(row[0] for row in cursor.fetchall())
    uses_index = "Index Scan using camera_point" in queryset_sql  # the KNN scan of a GiST index on the points
    log("plan of the selector's query:\n  " + queryset_sql.replace("\n", "\n  "))

    ours_ms, bare_ms, differs, rows_short = [], [], 0, 0
    per_user = {}
    for user in users:
        points = points_of(user, WARMUP + QUERIES, rng)
        for p in points[:WARMUP]:
            camera_nearest(user, p, n=10, purpose="alarm")
            run_bare(p)
        mine, theirs = [], []
        for p in points[WARMUP:]:
            # Alternate which goes first, so that neither always finds the other's pages cached.
            t0 = time.perf_counter()
            got = camera_nearest(user, p, n=10, purpose="alarm")
            t1 = time.perf_counter()
            plain = run_bare(p)
            t2 = time.perf_counter()
            mine.append((t1 - t0) * 1000)
            theirs.append((t2 - t1) * 1000)
            rows_short += len(got) != 10 or len(plain) != 10
            differs += [c.pk for c in got] != plain
        ours_ms += mine
        bare_ms += theirs
        per_user[user.username] = (
            percentile(mine, 99),
            percentile(theirs, 99),
            statistics.median(mine),
            statistics.median(theirs),
        )
        log(
            f"{user.username:>10} ({user.center.name}): "
            f"selector p50 {statistics.median(mine):.2f} ms, p99 {percentile(mine, 99):.2f} ms; "
            f"bare KNN p50 {statistics.median(theirs):.2f} ms, p99 {percentile(theirs, 99):.2f} ms"
        )
    total = len(users) * QUERIES
    log(
        f"workload: {total} points, {rows_short} answers short of 10 rows, {differs} of {total} answers differ "
        f"from the bare query's (the permission and consent conditions filtering), "
        f"selector's query a KNN index scan: {uses_index}"
    )
    if rows_short or differs < total // 4 or not uses_index:
        sys.exit("the workload is not what it claims (see above)")
    p99, bare_p99 = percentile(ours_ms, 99), percentile(bare_ms, 99)
    print(json.dumps({
        "ratio": round(p99 / bare_p99, 3),
        "p99_ms": round(p99, 3),
        "bare_p99_ms": round(bare_p99, 3),
        "p50_ms": round(statistics.median(ours_ms), 3),
        "bare_p50_ms": round(statistics.median(bare_ms), 3),
        "cameras": TOTAL,
        "queries": total,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
