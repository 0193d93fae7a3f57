"""Dashboard figures benchmark (`make bench-figures`).

In the benchmark database (BENCH_DB): the district of the demo under a simulated city center with 22
more districts of the same shape (about 2,800 centers), and this year's events of the whole city
(`CITY_EVENTS`, default 600,000: 23 districts' worth) written by SQL with their counters rebuilt once
(the counters' own rebuild, `figures_check --repair`). Then, after VACUUM ANALYZE and a warm-up, the
district's and the city's dashboard figures (today and this year, by child: the city's districts, the
district's towns) from the counters (`events.figures.figure_counts`, as the dashboards read them)
beside the same figures computed from the events table (`events.selectors.dashboard_counts`, the one
definition) in the same run: both must be identical, and the counters by center must sum to them.
p95 of each over RUNS runs; the last line is JSON. Target: the city's figures ≤ 20 ms p95.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_setup, percentile, prepare_database

CITY_CODE = "510100000000"
CITY_EVENTS = int(os.environ.get("CITY_EVENTS", "600000"))
DISTRICTS = 23
RUNS = int(os.environ.get("BENCH_RUNS", "30"))

EVENTS_SQL = """
WITH c AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM grids_center WHERE level = 'community' AND path LIKE %(city)s
), cat AS (SELECT array_agg(id ORDER BY id) AS ids FROM events_eventcategory WHERE parent_id IS NOT NULL),
rep AS (SELECT id FROM accounts_user WHERE username = 'duty')
INSERT INTO events_event (
    client_id, category_id, description, location, address, urgent, urgent_requested, source, reporter_id, grid_id,
    origin_center_id, center_id, level, state, suspended_from, light, supervision, extension, extension_days, phase,
    due_at, deadline, accept_due_at, created_at, closed_at, updated_at, returns, reworks, escalations,
    clock_cycle, clock_marks
)
SELECT md5('city-' || i::text)::uuid, cat.ids[1 + (i * 7919) %% array_length(cat.ids, 1)], '城市基准事件 ' || i,
    st_setsrid(st_point(103.8, 30.7), 4326), '', false, false, 'patrol', rep.id, NULL,
    c.ids[1 + (i * 2654435761) %% array_length(c.ids, 1)], c.ids[1 + (i * 2654435761) %% array_length(c.ids, 1)],
    'community', s.state, '', 'green', 'none', 'none', 0, '', NULL,
    t + interval '3 days', t + interval '2 hours', t,
    CASE WHEN s.state = 'closed' THEN t + ((i %% 97) || ' hours')::interval END, t, 0, 0, 0, 0, 0
FROM generate_series(%(start)s::bigint, %(stop)s::bigint - 1) AS i
CROSS JOIN c CROSS JOIN cat CROSS JOIN rep
CROSS JOIN LATERAL (
    SELECT %(jan1)s::timestamptz + ((i * 40503) %% %(span)s || ' seconds')::interval AS t
) tt
CROSS JOIN LATERAL (
    SELECT CASE WHEN i %% 100 = 0 THEN 'rejected'
                WHEN tt.t + ((i %% 97) || ' hours')::interval > now() OR i %% 31 = 0 THEN 'accepted'
                ELSE 'closed' END AS state
) s
"""


def build_city() -> list[int]:
    """The simulated city above the district: 22 more districts copying its towns and communities.
    Idempotent: a second run finds them."""
    from django.db import transaction

    from grids.models import Center

    district = Center.objects.filter(level="district").exclude(code__startswith="5101").order_by("path").first()
    city = Center.objects.filter(code=CITY_CODE).first()
    with transaction.atomic():
        if city is None:
            city = Center(code=CITY_CODE, name="成都市（模拟）", level="city")
            city.save()
        district = Center.objects.filter(code="510115000000").first() or district
        if district.parent_id != city.pk:
            district.parent = city
            district.save()  # its subtree's paths follow
        towns = list(Center.objects.filter(parent=district).order_by("code"))
        for k in range(1, DISTRICTS):
            code = f"5101{k + 20:02d}000000"
            if Center.objects.filter(code=code).exists():
                continue
            copy = Center(code=code, name=f"模拟区{k:02d}", level="district", parent=city)
            copy.save()
            for town in towns:
                new_town = Center(
                    code=code[:6] + town.code[6:], name=f"{copy.name}{town.name}", level="town", parent=copy
                )
                new_town.save()
                communities = Center.objects.filter(parent=town).order_by("code")
                Center.objects.bulk_create(
                    Center(
                        code=code[:6] + c.code[6:],
                        name=f"{new_town.name}{c.name}",
                        level="community",
                        parent=new_town,
                        path=f"{new_town.path}{code[:6] + c.code[6:]}/",
                        depth=new_town.depth + 1,
                    )
                    for c in communities
                )
    city.refresh_from_db()
    return list(Center.objects.filter(path__startswith=city.path).values_list("id", flat=True))


def load_events(city_path: str) -> int:
    from datetime import date, datetime
    from datetime import time as clock

    from django.db import connection
    from django.utils import timezone

    from events.figures import figures_check
    from events.models import Event

    tz = timezone.get_current_timezone()
    now = timezone.now()
    jan1 = datetime.combine(date(timezone.localdate(now).year, 1, 1), clock.min, tz)
    have = Event.objects.filter(description__startswith="城市基准事件", created_at__gte=jan1).count()
    if have >= CITY_EVENTS:
        return have
    span = int((now - jan1).total_seconds()) - 3600
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM events_event WHERE description LIKE '城市基准事件%%'")
        cursor.execute("ALTER TABLE events_event DISABLE TRIGGER events_figure_insert_delete")
        try:
            for start in range(0, CITY_EVENTS, 100_000):
                cursor.execute(
                    EVENTS_SQL,
                    {
                        "city": city_path + "%",
                        "start": start,
                        "stop": min(CITY_EVENTS, start + 100_000),
                        "jan1": jan1,
                        "span": span,
                    },
                )
        finally:
            cursor.execute("ALTER TABLE events_event ENABLE TRIGGER events_figure_insert_delete")
    figures_check(repair=True)
    print(f"{CITY_EVENTS:,} city events written and counted in {time.monotonic() - started:.0f} s", flush=True)
    return CITY_EVENTS


def timed(function, runs: int) -> tuple[float, object]:
    function()  # warm-up
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return percentile(timings, 95) * 1000, result


def nonzero(grouped: dict) -> dict:
    return {k: v for k, v in grouped.items() if any(v["today"].values()) or any(v["year"].values())}


def by_child(grouped: dict, paths: dict, depth: int) -> dict:
    """Per-center figures summed by each center's child of the dashboard's center (its code in the
    path at `depth`; "" for the center itself), as the dashboards show them."""
    sums: dict = {}
    for pk, periods in grouped.items():
        codes = paths[pk].strip("/").split("/")
        into = sums.setdefault(codes[depth] if len(codes) > depth else "", {name: {} for name in periods})
        for name, figures in periods.items():
            for figure, n in figures.items():
                into[name][figure] = into[name].get(figure, 0) + n
    return nonzero(sums)


def main() -> None:
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    django_setup()
    from django.db import connection
    from django.utils import timezone

    from events.figures import figure_counts, figures_compact
    from events.models import Event
    from events.selectors import dashboard_counts
    from grids.models import Center
    from wenjiang_ops.live.snapshot import _periods

    city_ids = build_city()
    city = Center.objects.get(code=CITY_CODE)
    load_events(city.path)
    with connection.cursor() as cursor:
        # A database filled by an older bench/make_events.py holds closings after "now" (a report's time
        # plus 30 hours); no real event closes in the future, and the counters take the closing's day as
        # past. Brought to now, through the trigger like any change.
        cursor.execute("UPDATE events_event SET closed_at = now() WHERE closed_at > now()")
        figures_compact()  # as the sweep does every few seconds in production
        for table in ("events_event", "events_eventfigure", "events_eventaction", "grids_center"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    district = Center.objects.get(code="510115000000")
    district_ids = list(Center.objects.filter(path__startswith=district.path).values_list("id", flat=True))
    now = timezone.now()
    periods = _periods(now)
    results = {}
    paths = dict(Center.objects.values_list("id", "path"))
    for name, ids, top in (("district", district_ids, district), ("city", city_ids, city)):
        events = Event.objects.filter(origin_center_id__in=ids)
        year_events = events.filter(created_at__gte=periods["year"].start).count()
        depth = top.depth + 1  # the dashboard's children: the city's districts, the district's towns
        counters_ms, from_counters = timed(
            lambda path=top.path, depth=depth: figure_counts(path, now=now, by_depth=depth), RUNS
        )
        table_ms, from_table = timed(
            lambda events=events: dashboard_counts(events, periods, now=now, group_by="origin_center_id"),
            max(RUNS // 5, 3),
        )
        if by_child(from_table, paths, depth) != from_counters or len(from_counters) < 2:
            sys.exit(f"{name}: the counters' figures differ from the events table's")
        if by_child(figure_counts(top.path, now=now), paths, depth) != from_counters:
            sys.exit(f"{name}: the counters by center do not sum to the counters by child")
        results[name] = {
            "centers": len(ids),
            "events_this_year": year_events,
            "counters_ms": counters_ms,
            "table_ms": table_ms,
        }
        print(
            f"{name:8} {len(ids):5} centers, {year_events:8,} events this year: counters p95 {counters_ms:6.1f} ms, "
            f"events table p95 {table_ms:7.1f} ms ({table_ms / counters_ms:.0f}x); identical figures",
            flush=True,
        )
    city_ms = results["city"]["counters_ms"]
    print(f"city figures p95 {city_ms:.1f} ms (target <= 20 ms) {'PASS' if city_ms <= 20 else 'FAIL'}")
    print(
        json.dumps(
            {
                "bench": "figures",
                "city_centers": results["city"]["centers"],
                "city_events_this_year": results["city"]["events_this_year"],
                "city_counters_p95_ms": round(city_ms, 2),
                "city_table_p95_ms": round(results["city"]["table_ms"], 1),
                "city_ratio": round(city_ms / results["city"]["table_ms"], 4),
                "district_counters_p95_ms": round(results["district"]["counters_ms"], 2),
                "district_table_p95_ms": round(results["district"]["table_ms"], 1),
                "identical": True,
            }
        )
    )


if __name__ == "__main__":
    main()
