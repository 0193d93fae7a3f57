"""Statistics against a small, hand-computed history (March 2026 in 航天路社区)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events.models import Event
from events.selectors import Period, stats_summary
from grids.models import Center

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def history(report, act, dept):
    police, chengguan = dept("police").pk, dept("urban-management").pk
    # E1: accepted in time, dispatched, handled, closed on time, rated satisfied.
    e1 = report("volunteer", now=at(3, 2, 10))
    act(e1, "hangtianlu", "accept", now=at(3, 2, 11))
    act(e1, "hangtianlu", "dispatch", lead_department=police, now=at(3, 2, 11, 30))
    act(e1, "police", "sign", now=at(3, 2, 12))
    act(e1, "police", "handle", now=at(3, 3, 9))
    act(e1, "hangtianlu", "verify_pass", satisfied=True, now=at(3, 3, 10))
    # E2: accepted late, returned once, reworked once, closed after its deadline.
    e2 = report("volunteer", now=at(3, 10, 8))
    act(e2, "hangtianlu", "accept", now=at(3, 10, 12))
    act(e2, "hangtianlu", "dispatch", lead_department=police, now=at(3, 10, 12, 30))
    act(e2, "police", "return", reason="非本部门", now=at(3, 10, 13))
    act(e2, "hangtianlu", "dispatch", lead_department=chengguan, now=at(3, 10, 14))
    act(e2, "chengguan", "sign", now=at(3, 10, 15))
    act(e2, "chengguan", "handle", now=at(3, 12, 9))
    act(e2, "hangtianlu", "verify_fail", reason="未整改到位", now=at(3, 12, 10))
    act(e2, "chengguan", "handle", now=at(3, 14, 9))
    act(e2, "hangtianlu", "verify_pass", now=at(3, 14, 12))
    # E3: a grid worker's report handled on the spot.
    e3 = report("gridworker", now=at(3, 20, 9))
    act(e3, "gridworker", "self_handle", now=at(3, 20, 9, 5))
    act(e3, "hangtianlu", "verify_pass", now=at(3, 20, 10))
    # E4: escalated to the town, still open past its new deadline at the end of March.
    e4 = report("volunteer", now=at(3, 25, 9))
    act(e4, "hangtianlu", "accept", now=at(3, 25, 9, 30))
    act(e4, "hangtianlu", "escalate", reason="需街道协调", now=at(3, 25, 10))
    # E5: rejected: never due.
    e5 = report("volunteer", now=at(3, 26, 9))
    act(e5, "hangtianlu", "reject", reason="不属于受理范围", now=at(3, 26, 10))
    # E6: reported in February, closed on 1 March, late.
    e6 = report("volunteer", now=at(2, 20, 9))
    act(e6, "hangtianlu", "accept", now=at(2, 20, 10))
    act(e6, "hangtianlu", "self_handle", now=at(2, 28, 10))
    act(e6, "hangtianlu", "verify_pass", now=at(3, 1, 10))
    return [e1, e2, e3, e4, e5, e6]


def march(events=None, by=None):
    community = Center.objects.get(name="航天路社区")
    queryset = events if events is not None else Event.objects.filter(origin_center=community)
    return stats_summary(queryset, Period(at(3, 1, 0), at(4, 1, 0)), by=by, now=at(4, 15, 0))


def test_the_figures_of_march(history):
    t = march()["totals"]
    assert Event.objects.get(pk=history[3].pk).deadline == at(3, 28, 13)  # 60+120+2880+1440 min at the town
    assert (t["reported"], t["due"], t["closed"], t["closed_on_time"], t["overdue"], t["open"]) == (5, 5, 4, 2, 3, 1)
    assert t["closure_rate"] == 0.8 and t["on_time_rate"] == 0.4 and t["overdue_rate"] == 0.6
    assert t["accepted_in_time"] == 3 and t["timely_acceptance_rate"] == 0.6
    assert (t["dispatches"], t["returns"], t["dispatch_accuracy"]) == (3, 1, 0.6667)
    assert (t["handlings"], t["reworks"], t["rework_rate"]) == (4, 1, 0.25)
    assert (t["escalations"], t["escalations_from_community"], t["escalation_rate"]) == (1, 1, 0.2)
    assert (t["patrol_reported"], t["patrol_self_handled"], t["self_handling_rate"]) == (1, 1, 1.0)
    assert (t["rated"], t["satisfied"], t["satisfaction_rate"]) == (1, 1, 1.0)


def test_slices_add_up_to_the_totals(history):
    result = march(by="town")
    assert [s["name"] for s in result["slices"]] == ["柳城街道"]
    assert {k: v for k, v in result["slices"][0].items() if k not in ("id", "name")} == result["totals"]
    by_category = march(by="category")["slices"]
    assert [(s["name"], s["reported"]) for s in by_category] == [("环境卫生", 5)]
    by_department = {s["name"]: s for s in march(by="department")["slices"]}
    assert by_department["温江区综合行政执法局"]["closed"] == 1  # E2's last lead
    assert by_department["温江区公安分局"]["closed"] == 1  # E1


def test_an_empty_period_has_no_rates(db):
    t = march(Event.objects.none())["totals"]
    assert t["reported"] == 0 and t["closure_rate"] is None


def test_the_summary_api(api, history):
    community = Center.objects.get(name="航天路社区")
    client = api.as_user("liucheng")
    params = {"center": community.pk, "date_from": "2026-03-01", "date_to": "2026-03-31", "by": "community"}
    body = client.get("/api/stats/summary/", params).json()
    assert body["totals"]["reported"] == 5 and body["slices"][0]["name"] == "航天路社区"
    assert client.get("/api/stats/summary/", {**params, "date_from": "March"}).status_code == 400
    assert client.get("/api/stats/summary/", {**params, "by": "weather"}).status_code == 400
    assert client.get("/api/stats/summary/", {**params, "date_to": "2026-02-01"}).status_code == 400
    other = Center.objects.get(name="城武社区")
    assert client.get("/api/stats/summary/", {**params, "center": other.pk}).status_code == 400
    # Another town's officer sees none of it.
    yongning = api.as_user("yongning").get("/api/stats/summary/", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert yongning.json()["totals"]["reported"] == 0


def test_the_summary_query_count_is_fixed(api, history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api.as_user("duty")
    client.get("/api/stats/summary/")
    for by in ("town", "grid"):
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/stats/summary/", {"date_from": "2026-01-01", "date_to": "2026-12-31", "by": by})
        # the two subtrees (scope, center), totals ×2, slices ×2, names: however many events and centers
        assert len(ctx.captured_queries) == 7, by


def test_export_to_excel(api, history):
    from io import BytesIO

    from openpyxl import load_workbook

    response = api.as_user("hangtianlu").get("/api/events/export/", {"state": ["closed"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 4  # header and the four closed events
    assert rows[0][:3] == ("Number", "Reported at", "Category")


def test_while_a_period_runs_only_the_deadlines_come_so_far_are_due(history):
    """At 3 a.m. the day's closure rate is not made of events due tonight: E4's deadline (after its
    escalation on 25 March) counts as due once it has come, not before."""
    community = Center.objects.get(name="航天路社区")
    events = Event.objects.filter(origin_center=community)
    e4 = history[3]
    e4.refresh_from_db()
    midnight = e4.deadline.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    day = Period(midnight, midnight + timedelta(days=1))
    before = stats_summary(events, day, now=e4.deadline.replace(second=0, microsecond=0) - timedelta(minutes=1))
    after = stats_summary(events, day, now=e4.deadline + timedelta(minutes=1))
    assert before["totals"]["due"] == after["totals"]["due"] - 1
    assert (after["totals"]["overdue"], after["totals"]["closure_rate"]) == (1, 0.0)
    # A period in the past is unchanged: every deadline in it has come.
    later = stats_summary(events, Period(at(3, 1, 0), at(4, 1, 0)), now=at(6, 1, 0))
    assert later["totals"]["due"] == march()["totals"]["due"]
