"""The dashboards' figures from the counters (events.figures) equal the events table's
(selectors.dashboard_counts, the one definition) on random histories, and the counters equal what
the events table says after every kind of change (figures_check)."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.scope import subtree_ids
from events import engine
from events.figures import figure_counts, figures_check, figures_compact
from events.models import Event, EventFigure
from events.selectors import dashboard_counts
from grids.models import Center, Grid
from wenjiang_ops.live.snapshot import _periods, counts_for

pytestmark = pytest.mark.django_db


def from_the_table(center_ids, now):
    events = Event.objects.filter(origin_center_id__in=center_ids)
    return dashboard_counts(events, _periods(now), now=now, group_by="origin_center_id")


def nonzero(grouped):
    return {k: v for k, v in grouped.items() if any(v["today"].values()) or any(v["year"].values())}


@pytest.fixture
def other_community(db):
    """A community of another town and its staff account (cs<code>), for events held elsewhere."""
    grid = Grid.objects.filter(center__parent__name="永宁街道", kind="comprehensive").order_by("code").first()
    return grid, f"cs{grid.center.code}"


def random_history(rng, report, act, dept, other_community, n=36):
    """Events reported over the last 400 days (so last year too), each taken down a random path with
    its own times: rejected, merged, self-handled and closed (on time or late), dispatched and closed,
    reopened, escalated, extended, or left open (some due later today, some overdue)."""
    now = timezone.now()
    police = dept("police").pk
    grid, other_staff = other_community
    made = []
    for k in range(n):
        elsewhere = k % 3 == 0
        start = now - timedelta(minutes=rng.randint(5, 400 * 24 * 60))
        point = grid.boundary.point_on_surface if elsewhere else None
        extra = {"lat": point.y, "lng": point.x} if point else {}
        event = report("gridworker", now=start, **extra)
        staff = other_staff if elsewhere else "hangtianlu"
        t = start

        def step(minutes):
            nonlocal t
            t = min(t + timedelta(minutes=minutes), now - timedelta(seconds=1))
            return t

        path = rng.choice(["reject", "merge", "self", "dispatch", "reopen", "escalate", "extend", "open", "accept"])
        if path == "reject":
            act(event, staff, "reject", now=step(30))
        elif path == "merge":
            survivor = report("gridworker", now=start, **extra)
            act(event, staff, "merge", merge_into=survivor.pk, now=step(30))
        elif path in ("self", "reopen"):
            act(event, staff, "accept", now=step(rng.randint(5, 300)))
            act(event, staff, "self_handle", now=step(rng.randint(5, 4000)))
            act(event, staff, "verify_pass", now=step(rng.randint(5, 3000)))
            if path == "reopen" and now - t < timedelta(days=5):
                act(event, staff, "reopen", now=step(rng.randint(5, 600)))
        elif path in ("dispatch", "extend"):
            act(event, staff, "accept", now=step(rng.randint(5, 300)))
            act(event, staff, "dispatch", lead_department=police, now=step(10))
            act(event, "police", "sign", now=step(rng.randint(5, 200)))
            if path == "extend":
                act(event, "police", "request_extension", days=2, now=step(30))
                act(event, staff, "approve_extension", now=step(30))
            if rng.random() < 0.7:
                act(event, "police", "handle", now=step(rng.randint(60, 6000)))
                act(event, staff, "verify_pass", now=step(rng.randint(5, 600)))
        elif path == "escalate":
            act(event, staff, "accept", now=step(20))
            act(event, staff, "escalate", now=step(rng.randint(5, 3000)))
        elif path == "accept":
            act(event, staff, "accept", now=step(rng.randint(5, 300)))
        made.append(event)
    # A few due later today and a few due earlier today, still open.
    for minutes in (-90, -10, 10, 90):
        event = report("gridworker", now=now - timedelta(hours=3))
        Event.objects.filter(pk=event.pk).update(deadline=now + timedelta(minutes=minutes))
    return made


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counters_give_the_tables_figures_on_a_random_history(seed, report, act, dept, other_community):
    random_history(random.Random(seed), report, act, dept, other_community)
    district = Center.objects.get(level="district")
    ids = subtree_ids(district.path)
    now = timezone.now()
    expected = nonzero(from_the_table(ids, now))
    assert len(expected) >= 2  # two communities, both with figures
    assert figure_counts(district.path, now=now) == expected
    assert figures_check() == []
    figures_compact()  # folding the deltas changes no figure
    assert figure_counts(district.path, now=now) == expected
    assert figures_check() == []
    assert not EventFigure.objects.filter(compacted=False).exists()


def summed_by_ancestor(grouped, depth):
    """Per-center figures summed by the code of each center's ancestor at `depth` ("" above it)."""
    paths = dict(Center.objects.values_list("id", "path"))
    sums = {}
    for pk, periods in grouped.items():
        codes = paths[pk].strip("/").split("/")
        key = codes[depth] if len(codes) > depth else ""
        into = sums.setdefault(key, {name: {} for name in periods})
        for name, figures in periods.items():
            for figure, n in figures.items():
                into[name][figure] = into[name].get(figure, 0) + n
    return nonzero(sums)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_counters_by_child_are_the_sums_of_the_centers(seed, report, act, dept, other_community):
    random_history(random.Random(seed), report, act, dept, other_community, n=24)
    district = Center.objects.get(level="district")
    now = timezone.now()
    per_center = figure_counts(district.path, now=now)
    for depth in (district.depth + 1, district.depth + 2):
        by_child = figure_counts(district.path, now=now, by_depth=depth)
        assert by_child == summed_by_ancestor(per_center, depth)
        assert len(by_child) >= 2  # two towns (or communities) with figures
    town = Center.objects.get(name="柳城街道")
    assert figure_counts(town.path, now=now, by_depth=town.depth + 1) == summed_by_ancestor(
        figure_counts(town.path, now=now), town.depth + 1
    )


def test_the_district_dashboard_reads_the_counters_and_shows_the_same(report, act, dept, other_community):
    random_history(random.Random(7), report, act, dept, other_community, n=12)
    district = Center.objects.get(level="district")
    now = timezone.now()
    from_counters = counts_for(district, now=now)
    table = from_the_table(subtree_ids(district.path), now)
    assert from_counters["year"]["reported"] == sum(v["year"]["reported"] for v in table.values()) > 0
    with connection.cursor() as cursor:  # the counters emptied, the dashboard's figures go: they are what it reads
        cursor.execute("DELETE FROM events_eventfigure")
    assert counts_for(district, now=now)["year"]["reported"] == 0


def test_a_wrong_counter_is_found_and_repaired(report):
    event = report()
    EventFigure.objects.create(
        origin_center_id=event.origin_center_id, bucket="d", start=timezone.localdate(), reported=5
    )
    wrong = figures_check()
    assert len(wrong) == 1 and wrong[0][3][0] - wrong[0][4][0] == 5
    figures_check(repair=True)
    assert figures_check() == []


def test_the_sweeps_warnings_write_no_counter(report, settings):
    event = report()
    before = EventFigure.objects.count()
    engine.sweep(now=event.warn_at + timedelta(seconds=1))  # the warning: light and marks only
    event.refresh_from_db()
    assert event.light == "yellow"
    assert EventFigure.objects.count() == before


def test_a_truncate_of_the_events_takes_the_counters_with_it(report):
    report()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: TRUNCATE refuses those
        cursor.execute("TRUNCATE events_event CASCADE")
    assert not EventFigure.objects.exists()
    assert figures_check() == []
