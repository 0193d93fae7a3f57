"""Disputes benchmark (`make bench-disputes`).

In the benchmark database (BENCH_DB), ten years of the district's disputes (2016–2025, about
190,000: ~18,700 a year, growing a little) spread over towns, communities, types, intake channels,
states and outcomes (≈98% successful), with follow-up visits and judicial confirmations, written by
COPY from a seeded generator: the same rows every run. Then, after VACUUM ANALYZE and a warm-up:

1. the district's statistics for 2025: `disputes.selectors.dispute_stats` over the district for one
   year, beside the bare SQL computing the same counts through psycopg2 (and both give the same counts);
2. a town's filtered list page through the real API: `GET /api/disputes/?center=<柳城街道>&state=closed&
   created_after=2025-01-01&created_before=2025-12-31&page_size=20` (token auth, over HTTP to gunicorn
   with DEBUG off, as bench/intake.py times the events' list), beside the bare SQL of the same page
   (count + the first 20 rows with type and holding center). Both give the same count and rows; the
   API's query count is taken in process at page sizes 20 and 100 and must be the same.

p95 of each, ratios to the bare SQL; the last line is one JSON object.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_setup, gunicorn, percentile, prepare_database, stop

SEED = 20260107
PORT = 18091
YEARS = range(2016, 2026)
STATS_YEAR = 2025
TOWN = "柳城街道"
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 5
PAGE = 20
# The statistics are seen from the middle of January after the year (performance dates compare with it).
NOW = (2026, 1, 15)

# Top-level type code -> weight (neighbours, families and labour disputes dominate).
TYPE_WEIGHTS = {
    "neighbour": 22,
    "marriage": 16,
    "labour": 10,
    "property": 9,
    "homestead": 7,
    "damages": 6,
    "traffic": 6,
    "contract": 5,
    "lending": 4,
    "land": 3,
    "consumer": 3,
    "acquisition": 2,
    "medical": 1.5,
    "business": 1.5,
    "village": 1.5,
    "environment": 1,
    "campus": 0.7,
    "online": 0.8,
    "other": 2,
}
INTAKE_WEIGHTS = {
    "walk_in": 34,
    "grid": 25,
    "sweep": 15,
    "hotline": 10,
    "police": 6,
    "court_delegated": 4,
    "court_entrusted": 2,
    "petition": 2,
    "event": 2,
}
RISK_WEIGHTS = {"": 80, "blue": 12, "yellow": 6, "orange": 1.5, "red": 0.5}

COLUMNS = (
    "client_id year serial number title facts claims intake intake_reference amount people location address "
    "level state channel referred_to risk signals risk_plan agreement_form agreement_terms responsibility "
    "performance_method performance_place performance_due outcome_reason phase clock_cycle clock_marks light "
    "mediation_due extension_days suspended_from escalations created_at accepted_at concluded_at agreed_at "
    "closed_at updated_at center_id committee_id origin_center_id reporter_id type_id"
).split()

FOLLOW_UPS = """
INSERT INTO disputes_followup (dispute_id, due_date, visited_at, method, performance, satisfaction, new_risks, notes)
SELECT id, (agreed_at + interval '15 days')::date,
       CASE WHEN agreed_at < %(now)s - interval '20 days' THEN agreed_at + interval '16 days' END,
       'phone', 'performed', 'satisfied', '', ''
FROM disputes_dispute WHERE agreed_at IS NOT NULL AND ('x' || substr(md5(number), 1, 4))::bit(16)::int %% 10 < 8
"""
CONFIRMATIONS = """
INSERT INTO disputes_confirmation (dispute_id, applied_on, court, case_number, accepted_on, ruling, ruled_on, extended)
SELECT id, (agreed_at + interval '10 days')::date, '温江区人民法院', '', (agreed_at + interval '12 days')::date,
       CASE WHEN ('x' || substr(md5(number), 5, 4))::bit(16)::int %% 20 = 0 THEN 'invalid' ELSE 'valid' END,
       (agreed_at + interval '25 days')::date, false
FROM disputes_dispute WHERE agreed_at IS NOT NULL AND ('x' || substr(md5(number), 9, 4))::bit(16)::int %% 100 < 6
"""

# The statistics' definitions (disputes.selectors) restated in one bare statement.
STATS_SQL = """
SELECT count(*),
    count(*) FILTER (WHERE d.accepted_at IS NOT NULL),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL),
    count(*) FILTER (WHERE d.agreed_at IS NULL AND d.state = 'failed'),
    count(*) FILTER (WHERE d.agreed_at IS NULL AND d.state = 'withdrawn'),
    count(*) FILTER (WHERE d.agreed_at IS NULL AND d.state = 'referred'),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL OR d.state = 'failed'),
    count(*) FILTER (WHERE (d.agreed_at IS NOT NULL OR d.state = 'failed')
                     AND (d.mediation_due IS NULL OR d.concluded_at <= d.mediation_due)),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL AND d.performance_due < %(today)s),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL AND d.performance_due < %(today)s AND d.closed_at IS NOT NULL),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL AND c.id IS NOT NULL),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL AND c.ruling = 'valid'),
    count(*) FILTER (WHERE d.agreed_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM disputes_followup f WHERE f.dispute_id = d.id AND f.visited_at IS NOT NULL))
FROM disputes_dispute d LEFT JOIN disputes_confirmation c ON c.dispute_id = d.id
WHERE d.created_at >= %(start)s AND d.created_at < %(end)s
  AND d.origin_center_id IN (SELECT id FROM grids_center WHERE path LIKE %(path)s)
"""
STATS_NAMES = (
    "taken_in mediated successful failed withdrawn referred concluded on_time agreements_due performed "
    "confirmation_applied confirmed followed_up"
).split()

LIST_WHERE = """
FROM disputes_dispute d
WHERE d.origin_center_id IN (SELECT id FROM grids_center WHERE path LIKE %(path)s)
  AND d.state = 'closed' AND d.created_at >= %(start)s AND d.created_at < %(end)s
"""
LIST_COUNT = "SELECT count(*) " + LIST_WHERE
LIST_PAGE = """SELECT d.*, t.*, c.* FROM disputes_dispute d
JOIN disputes_disputetype t ON t.id = d.type_id JOIN grids_center c ON c.id = d.center_id
WHERE d.origin_center_id IN (SELECT id FROM grids_center WHERE path LIKE %(path)s)
  AND d.state = 'closed' AND d.created_at >= %(start)s AND d.created_at < %(end)s
ORDER BY d.created_at DESC, d.id DESC LIMIT """ + str(PAGE)


def weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def generate(out: io.StringIO, tz, centers: dict, committees: dict, types: dict, reporter_id: int) -> int:
    """Writes the rows (COPY text format) for every year; returns how many."""
    rng = random.Random(SEED)
    communities = [c for c in centers.values() if c["level"] == "community"]
    towns = [c for c in centers.values() if c["level"] == "town"]
    district = next(c for c in centers.values() if c["level"] == "district")
    community_weights = [rng.uniform(0.3, 2.0) for _ in communities]
    town_weights = [rng.uniform(0.5, 1.5) for _ in towns]
    end = datetime(*NOW, tzinfo=tz)
    serials: dict = {}
    rows = 0

    def ts(value):
        return value.isoformat() if value else "\\N"

    for year in YEARS:
        n = 18_200 + 110 * (year - YEARS[0]) + rng.randint(-150, 150)
        start = datetime(year, 1, 1, tzinfo=tz)
        seconds = (datetime(year + 1, 1, 1, tzinfo=tz) - start).total_seconds()
        moments = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(n))
        for created in moments:
            where = rng.random()
            if where < 0.85:
                origin = rng.choices(communities, weights=community_weights)[0]
            elif where < 0.97:
                origin = rng.choices(towns, weights=town_weights)[0]
            else:
                origin = district
            holder = origin
            escalations = 0
            if origin["parent_id"] and rng.random() < 0.04:
                holder, escalations = centers[origin["parent_id"]], 1
            top = weighted(rng, TYPE_WEIGHTS)
            type_id = rng.choice(types[top])
            people = 2 + int(rng.expovariate(1.0))
            band = rng.random()
            if band < 0.0002:
                people = rng.randint(501, 1200)
            elif band < 0.002:
                people = rng.randint(100, 500)
            elif band < 0.012:
                people = rng.randint(50, 99)
            risk = weighted(rng, RISK_WEIGHTS)
            signals = '["group"]' if people >= 50 else "[]"
            amount = f"{rng.randint(1, 400) * 500}.00" if rng.random() < 0.6 else "\\N"
            age = (end - created).days
            accepted = created + timedelta(hours=rng.uniform(1, 40))
            due = accepted + timedelta(days=30)
            took = timedelta(days=min(rng.expovariate(1 / 8), 29.5)) if rng.random() > 0.03 else timedelta(days=34)
            outcome = rng.random()
            state, accepted_at, concluded, agreed, closed, perf_due, channel = (
                "agreed",
                accepted,
                accepted + took,
                None,
                None,
                None,
                "peoples",
            )
            if age < 3 and rng.random() < 0.6:
                state, accepted_at, concluded = "received", None, None
            elif accepted + took > end:
                state, concluded = "mediating", None
            elif outcome < 0.9822:
                agreed = concluded
                perf_due = (agreed + timedelta(days=rng.randint(0, 60))).date()
                if perf_due < end.date() and rng.random() < 0.97:
                    state, closed = "closed", datetime.combine(perf_due, created.timetz()) + timedelta(days=1)
                    closed = min(closed, end - timedelta(hours=1))
            elif outcome < 0.9922:
                state = "failed"
                if rng.random() < 0.3:  # a party refused at triage
                    accepted_at, concluded = None, created + timedelta(hours=5)
            elif outcome < 0.9972:
                state = "withdrawn"
            else:
                state, accepted_at, concluded, channel = "referred", None, created + timedelta(hours=6), "court"
            committee_id, prefix = committees[origin["id"]]
            serial = serials[(committee_id, year)] = serials.get((committee_id, year), 0) + 1
            number = f"({year}){prefix}字第 {serial:05d} 号"
            lng = 103.834 + rng.uniform(-0.08, 0.08)
            lat = 30.695 + rng.uniform(-0.07, 0.07)
            values = [
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                str(year),
                str(serial),
                number,
                f"基准纠纷 {top} {serial}",
                "基准测试生成的纠纷事实",
                "",
                weighted(rng, INTAKE_WEIGHTS),
                "",
                amount,
                str(people),
                f"SRID=4326;POINT({lng:.6f} {lat:.6f})",
                "",
                holder["level"],
                state,
                channel,
                "温江区人民法院" if state == "referred" else "",
                risk,
                signals,
                "",
                "written" if agreed else "",
                "",
                "",
                "",
                "",
                perf_due.isoformat() if perf_due else "\\N",
                "",
                "mediate" if state == "mediating" else ("accept" if state == "received" else ""),
                "1",
                "0",
                "green",
                ts(due if accepted_at else None),
                "0",
                "",
                str(escalations),
                ts(created),
                ts(accepted_at),
                ts(concluded),
                ts(agreed),
                ts(closed),
                ts(closed or concluded or created),
                str(holder["id"]),
                str(committee_id),
                str(origin["id"]),
                str(reporter_id),
                str(type_id),
            ]
            out.write("\t".join(values) + "\n")
            rows += 1
    return rows


def load(target: int) -> int:
    """The disputes, written once (a database that has them keeps them: the data never changes)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from disputes.models import Committee, Dispute, DisputeType
    from grids.models import Center

    have = Dispute.objects.count()
    if have >= target:
        print(f"{have} disputes already", flush=True)
        return have
    started = time.monotonic()
    centers = {c["id"]: c for c in Center.objects.values("id", "code", "name", "level", "parent_id")}
    committees = {}
    for center in centers.values():
        committee, _ = Committee.objects.get_or_create(
            center_id=center["id"],
            defaults={"name": f"{center['name']}人民调解委员会", "number_prefix": f"温{center['code'][-6:]}调"},
        )
        committees[center["id"]] = (committee.pk, committee.number_prefix)
    types: dict = {}
    for code, parent_code in DisputeType.objects.filter(parent__isnull=False).values_list("pk", "parent__code"):
        types.setdefault(parent_code, []).append(code)
    reporter_id = User.objects.get(username="duty").pk
    out = io.StringIO()
    rows = generate(out, timezone.get_current_timezone(), centers, committees, types, reporter_id)
    out.seek(0)
    now = datetime(*NOW, tzinfo=timezone.get_current_timezone())
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE disputes_dispute RESTART IDENTITY CASCADE")
        cursor.copy_expert(f"COPY disputes_dispute ({', '.join(COLUMNS)}) FROM STDIN", out)
        cursor.execute(FOLLOW_UPS, {"now": now})
        cursor.execute(CONFIRMATIONS, {})
    print(f"{rows} disputes written in {time.monotonic() - started:.0f} s", flush=True)
    return rows


def timed(call, runs: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def list_queries(token: str, query: str) -> dict[int, int]:
    """The API list's queries at two page sizes, counted in process (the same request as timed)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    counts = {}
    for size in (PAGE, 100):
        sized = query.replace(f"page_size={PAGE}", f"page_size={size}")
        client.get(sized)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(sized)
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == size, size
        counts[size] = len(ctx.captured_queries)
    return counts


def main() -> None:
    print("preparing the benchmark database …", flush=True)
    prepare_database()
    django_setup()
    import psycopg2
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from accounts.scope import scope_for
    from accounts.services import token_issue
    from disputes import selectors
    from events.selectors import Period
    from grids.models import Center

    rows = load(180_000)
    with connection.cursor() as cursor:
        for table in ("disputes_dispute", "disputes_followup", "disputes_confirmation", "grids_center"):
            cursor.execute(f"VACUUM ANALYZE {table}")

    db = settings.DATABASES["default"]
    bare = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    bare.autocommit = True
    cursor = bare.cursor()
    now = datetime(*NOW, tzinfo=timezone.get_current_timezone())

    # 1. The district's statistics for one year.
    district = Center.objects.get(level="district")
    duty = scope_for(User.objects.select_related("center").get(username="duty"))
    first, last = date(STATS_YEAR, 1, 1), date(STATS_YEAR, 12, 31)
    period = Period.from_dates(first, last)
    stats_params = {
        "start": period.start,
        "end": period.end,
        "path": district.path + "%",
        "today": timezone.localdate(now),
    }

    def stats():
        return selectors.dispute_stats(scope=duty, center=district, date_from=first, date_to=last, now=now)

    def stats_bare():
        cursor.execute(STATS_SQL, stats_params)
        return dict(zip(STATS_NAMES, cursor.fetchone(), strict=True))

    totals = stats()["totals"]
    expected = stats_bare()
    assert {name: totals[name] for name in STATS_NAMES} == expected, (totals, expected)
    assert totals["taken_in"] >= 15_000, totals["taken_in"]

    # 2. A town's filtered list page through the API: its subtree, closed, the year, newest first.
    town = Center.objects.get(name=TOWN)
    token = token_issue(user=User.objects.get(username="liucheng"), client="bench")
    headers = {"Authorization": f"Token {token}"}
    query = f"/api/disputes/?center={town.pk}&state=closed&created_after={first}&created_before={last}&page_size={PAGE}"
    list_params = {"start": period.start, "end": period.end, "path": town.path + "%"}
    server = gunicorn(PORT, workers=2)  # one request at a time: two workers are plenty
    conn = http.client.HTTPConnection("127.0.0.1", PORT)

    def listing():
        conn.request("GET", query, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:  # the server is stopped on the way out (finally)
            sys.exit(f"list: {response.status} {body[:300]!r}")
        data = json.loads(body)
        return data["count"], [row["id"] for row in data["results"]]

    def listing_bare():
        cursor.execute(LIST_COUNT, list_params)
        count = cursor.fetchone()[0]
        cursor.execute(LIST_PAGE, list_params)
        return count, [row[0] for row in cursor.fetchall()]

    try:
        count, page = listing()
        bare_count, bare_page = listing_bare()
        assert count == bare_count and page == bare_page, (count, bare_count, page, bare_page)
        assert count >= 1_000, count
        queries = list_queries(token, query)
        assert queries[PAGE] == queries[100], f"the list's queries grow with the page: {queries}"

        # Interleaved in rounds, so that noise on the shared machine falls on both sides alike.
        results: dict[str, list[float]] = {"stats": [], "stats_bare": [], "list": [], "list_bare": []}
        calls = {"stats": stats, "stats_bare": stats_bare, "list": listing, "list_bare": listing_bare}
        for call in calls.values():
            timed(call, 0)
        rounds = 4
        for _ in range(rounds):
            for name, call in calls.items():
                results[name] += timed(call, RUNS // rounds)
    finally:
        conn.close()
        stop(server)
    bare.close()

    def p(name: str, q: float) -> float:
        return percentile(results[name], q) * 1000

    print(f"disputes in the database: {rows}; {STATS_YEAR}, district: {totals['taken_in']} taken in, ", end="")
    print(f"{totals['successful']} successful ({totals['rates']['success_rate']['value']:.1%}); ", end="")
    print(f"{TOWN} closed in {STATS_YEAR}: {count}")
    print(f"{'':34s} {'p50 ms':>8s} {'p95 ms':>8s}  (runs {len(results['stats'])})")
    labels = {
        "stats": "dispute_stats (district, a year)",
        "stats_bare": "  bare SQL, same counts",
        "list": "town list, API over HTTP (20)",
        "list_bare": "  bare SQL",
    }
    for name, label in labels.items():
        print(f"{label:34s} {p(name, 50):8.1f} {p(name, 95):8.1f}")
    stats_ratio = p("stats", 95) / p("stats_bare", 95)
    list_ratio = p("list", 95) / p("list_bare", 95)
    print(f"ratios (p95 ÷ bare p95): stats {stats_ratio:.2f}, list {list_ratio:.2f} (targets ≤ 3)")
    print(f"list API queries by page size: {queries}")
    print(
        json.dumps(
            {
                "bench": "disputes",
                "list_ratio": round(list_ratio, 2),
                "stats_ratio": round(stats_ratio, 2),
                "list_p95_ms": round(p("list", 95), 1),
                "list_bare_p95_ms": round(p("list_bare", 95), 1),
                "stats_p95_ms": round(p("stats", 95), 1),
                "stats_bare_p95_ms": round(p("stats_bare", 95), 1),
                "rows": rows,
                "stats_taken_in": totals["taken_in"],
                "list_matches": count,
                "list_queries": queries[PAGE],
                "list_queries_page100": queries[100],
                "list_query": query,
            }
        )
    )


if __name__ == "__main__":
    main()
