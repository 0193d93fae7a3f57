"""The force figures on hand-made data: rankings by month, the discovery rate exactly, each
worker's and grid's reports, patrols, tasks and on-time rate, in a constant number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.scope import scope_for
from events import services as events
from events.selectors import Period
from force import selectors
from force.models import PointEntry
from grids.models import Center

from .factories import patrol, report_in, volunteer_account

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()


def entry(user, points, at, kind="recognition", source=[0]):  # noqa: B006 - a counter across calls
    source[0] += 1
    return PointEntry.objects.create(
        user=user, kind=kind, points=points, source_type="recognition", source_id=source[0], at=at
    )


def test_monthly_ranking_of_a_community_and_an_organization(user, grid1, far_grid):
    a, b, c = volunteer_account(grid1), volunteer_account(grid1), volunteer_account(grid1)
    stranger = volunteer_account(far_grid)
    november = datetime(2026, 11, 30, 23, 59, tzinfo=TZ)
    december = datetime(2026, 12, 1, 0, 0, tzinfo=TZ)
    entry(a, 10, december)
    entry(a, 5, november)  # last month: not in December's ranking
    entry(b, 10, december + timedelta(days=3))
    entry(c, 4, december)
    entry(c, -1, december + timedelta(days=1))  # a reversal counts in its month
    entry(stranger, 50, december)
    period = selectors.month_period(date(2026, 12, 1))
    rows = selectors.ranking(period=period, community=grid1.center)
    assert [(r["rank"], r["user_id"], r["points"]) for r in rows] == [(1, a.pk, 10), (1, b.pk, 10), (3, c.pk, 3)]
    assert rows[0]["organization"] == a.volunteer.organization.name
    org_rows = selectors.ranking(period=period, organization=stranger.volunteer.organization)
    assert [(r["user_id"], r["points"]) for r in org_rows] == [(stranger.pk, 50)]
    assert selectors.ranking(period=selectors.month_period(date(2026, 11, 1)), community=grid1.center)[0]["points"] == 5


def test_ranking_reads_in_two_queries(grid1, django_assert_num_queries):
    for _ in range(5):
        entry(volunteer_account(grid1), 3, timezone.now())
    with django_assert_num_queries(2):
        rows = selectors.ranking(period=selectors.month_period(selectors.this_month()), community=grid1.center)
    assert len(rows) == 5


@pytest.fixture
def world(user, grid1, grid2):
    """Events of grid 1 in the last hour: 4 first reported by its own force (its two grid workers,
    its community police, a volunteer of the grid) and 2 from outside it (the community's staff, a
    volunteer of grid 2); one more, rejected, that is not an event of its own."""
    worker, other_worker, police, staff = (
        user("gridworker"),
        user("gw510115001001001"),
        user("police"),
        user("hangtianlu"),
    )
    inside_volunteer, outside_volunteer = volunteer_account(grid1), volunteer_account(grid2)
    mine = report_in(grid1, worker)
    for reporter in (other_worker, police, inside_volunteer, staff, outside_volunteer):
        report_in(grid1, reporter)
    rejected = report_in(grid1, worker)
    events.event_transition(event_id=rejected.pk, action="reject", actor=staff, reason="重复")
    events.event_transition(event_id=mine.pk, action="accept", actor=staff)
    events.event_transition(event_id=mine.pk, action="dispatch", actor=staff, assignee=worker.pk)
    patrol(worker, grid1, check_ins=3, distance_m=1500)
    patrol(worker, grid1, state="cancelled", check_ins=1, distance_m=100)  # not counted
    return {"worker": worker, "staff": staff}


def period_around_now() -> Period:
    now = timezone.now()
    return Period(now - timedelta(days=1), now + timedelta(days=30))


def test_the_discovery_rate_of_a_grid_exactly(world, grid1, grid2):
    scope = scope_for(world["staff"])
    rows = {r["id"]: r for r in selectors.performance_grids(scope, grid1.center, period_around_now())}
    first = rows[grid1.pk]
    assert (first["events"], first["discovered"], first["discovery_rate"]) == (6, 4, round(4 / 6, 4))
    assert (first["patrols"], first["distance_m"], first["check_ins"], first["tasks"]) == (1, 1500, 3, 1)
    # The dispatched event's deadline has not come yet: in a period still running nothing is due before
    # its deadline (events.selectors), so there is no rate yet.
    assert first["on_time_rate"] is None
    assert rows[grid2.pk]["events"] == 0 and rows[grid2.pk]["discovery_rate"] is None


def test_a_grid_workers_figures(world, grid1):
    scope = scope_for(world["staff"])
    rows = {r["id"]: r for r in selectors.performance_workers(scope, grid1.center, period_around_now())}
    mine = rows[world["worker"].pk]
    assert mine["reports"] == 2  # the rejected one is a report too
    assert (mine["patrols"], mine["distance_m"], mine["check_ins"]) == (1, 1500, 3)
    assert mine["tasks"] == 1 and mine["on_time_rate"] is None  # its deadline has not come: nothing due yet
    assert (mine["grid_events"], mine["discovered"], mine["discovery_rate"]) == (6, 1, round(1 / 6, 4))
    assert grid1.name in mine["grids"]


def test_the_figures_read_in_a_constant_number_of_queries(world, user, grid1):
    """A community's few grids and a town's many (with a hundred workers) take the same queries."""
    community_scope, town_scope = scope_for(user("hangtianlu")), scope_for(user("liucheng"))
    town = Center.objects.get(name="柳城街道")
    counts = {}
    for name, scope, center in (("community", community_scope, grid1.center), ("town", town_scope, town)):
        for by in ("grid", "worker"):
            with CaptureQueriesContext(connection) as queries:
                rows = selectors.performance(scope, center, period_around_now(), by)
            assert len(rows) >= 2
            counts[(name, by)] = len(queries)
    assert counts[("community", "grid")] == counts[("town", "grid")] == 6
    assert counts[("community", "worker")] == counts[("town", "worker")] == 10


def test_the_figures_stay_inside_the_scope(world, user, grid1, far_grid):
    assert selectors.performance_grids(scope_for(user("hangtianlu")), far_grid.center, period_around_now()) == []
    assert selectors.performance_grids(scope_for(user("gridworker")), grid1.center, period_around_now()) == []


def test_duty_catalog_counts_the_events_of_the_covered_categories(world, user):
    groups = selectors.duty_catalog(scope_for(user("hangtianlu")), period_around_now())
    assert len(groups) == 8 and sum(len(g["items"]) for g in groups) == 75
    items = {i["name"]: i for g in groups for i in g["items"]}
    # The world's events are of 垃圾乱堆乱放 (sa-garbage): covered by 环境卫生巡查 (the parent) and
    # 占道经营与乱堆乱放巡查 (the category itself); the rejected one is still a report of the category.
    assert items["环境卫生巡查"]["events"] == 7
    assert items["占道经营与乱堆乱放巡查"]["events"] == 7
    assert items["消防安全隐患巡查"]["events"] == 0
    assert items["实有人口信息采集与动态更新"]["categories"] == []


def test_volunteer_home(user, grid1, django_capture_on_commit_callbacks):
    volunteer = user("volunteer")
    with django_capture_on_commit_callbacks(execute=True):
        event = report_in(grid1, volunteer)
        events.event_transition(event_id=event.pk, action="accept", actor=user("hangtianlu"))
    patrol(volunteer, grid1, check_ins=1)
    home = selectors.volunteer_home(volunteer)
    assert [e.pk for e in home["reports"]] == [event.pk] and home["report_count"] == 1
    assert home["points_total"] == home["points_month"] == 5
    assert (home["rank"], home["ranked"]) == (1, 1)
    assert len(home["patrols"]) == 1
