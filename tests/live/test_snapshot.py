"""The dashboard's HTTP snapshot and pages: shape, who may see what, errors, query counts, language.
(The events fixtures — report, act, dept … — come through tests/live/conftest.py.)"""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from events import clocks as event_clocks
from events import services
from events.models import Event
from events.selectors import Period, stats_summary
from grids.models import Center, Grid
from wenjiang_ops.live import groups, snapshot
from wenjiang_ops.live.snapshot import counts_for, dashboard_center, snapshot_for, stream_counts

pytestmark = pytest.mark.django_db

URL = "/api/dashboard/snapshot/"
FIGURES = {"reported", "open", "overdue", "closed", "closure_rate", "on_time_rate", "escalations"}
ITEM_KEYS = {
    "id",
    "number",
    "category",
    "category_id",
    "excerpt",
    "address",
    "place",
    "center_id",
    "center",
    "origin_center_id",
    "level",
    "urgent",
    "urgent_requested",
    "light",
    "state",
    "open",
    "supervision",
    "escalations",
    "action",
    "lat",
    "lng",
    "reported_at",
    "updated_at",
    "url",
}


@pytest.fixture(autouse=True)
def fixed_seq(monkeypatch):
    """The stream numbers come from Redis; here a known number, so tests do not depend on pushes made
    by other tests."""
    monkeypatch.setattr(groups, "current_seq", lambda stream, client=None: 41)


@pytest.fixture
def yongning_report(db, category):
    """Reports an event in 永宁街道 (another town than 航天路社区's 柳城街道)."""
    grid = Grid.objects.filter(center__parent__name="永宁街道", kind="comprehensive").order_by("code").first()
    point = grid.boundary.point_on_surface

    def make(**overrides):
        kwargs = dict(
            reporter=User.objects.get(username=f"gw{grid.code}"),
            category_id=category.pk,
            description="永宁街道道路积水影响通行",
            lat=point.y,
            lng=point.x,
            client_id=str(uuid.uuid4()),
        )
        kwargs.update(overrides)
        return services.event_report(**kwargs)[0]

    return make


@pytest.fixture
def world(report, yongning_report, act, dept):
    """航天路社区: an open urgent event, a red one, a closed one, one dispatched to the police;
    永宁街道: one open urgent event."""
    urgent = report(urgent=True, description="燃气管道泄漏，气味浓烈，需立即处置")
    red = report(description="路灯损坏多日无人维修")
    Event.objects.filter(pk=red.pk).update(light="red")  # the engine's doing, in a real day
    closed = report(description="垃圾已清运完毕")
    act(closed, "hangtianlu", "accept")
    act(closed, "hangtianlu", "self_handle")
    act(closed, "hangtianlu", "verify_pass")
    police = report(description="小区门口有人打架")
    act(police, "hangtianlu", "accept")
    act(police, "hangtianlu", "dispatch", lead_department=dept("police").pk)
    escalated = report(description="需要街道协调的停车纠纷")
    act(escalated, "hangtianlu", "accept")
    act(escalated, "hangtianlu", "escalate")
    other = yongning_report(urgent=True)
    return {"urgent": urgent, "red": red, "closed": closed, "police": police, "escalated": escalated, "other": other}


def ids(items):
    return {item["id"] for item in items}


def get(api, username, params="", **headers):
    return api.as_user(username).get(URL + params, HTTP_ACCEPT_LANGUAGE=headers.get("lang", "zh-hans"))


# --- shape -----------------------------------------------------------------------------------------


def test_the_snapshot_has_the_promised_shape(api, world):
    response = get(api, "duty")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "seq",
        "stream",
        "center",
        "generated_at",
        "counts",
        "feed",
        "open_events",
        "alarms",
        "dispute_alarms",
        "care_alarms",
        "patrols",
        "patrol_figures",
        "labels",
    }
    assert set(body["patrol_figures"]) == {"active", "today", "plans", "coverage", "missed_month"}
    district = Center.objects.get(parent__isnull=True)
    assert body["center"] == {"id": district.pk, "name": "温江区", "level": "district"}
    assert body["seq"] == 41 and body["stream"] == f"center.{district.pk}"
    counts = body["counts"]
    assert set(counts) == {"date", "disputes", "care", "video", "today", "year", "child_level", "by_child"}
    assert set(counts["video"]) == {"total", "online", "rate", "child_level", "by_network", "by_child"}
    assert set(counts["care"]) == {"in_care", "lost", "overdue"}
    assert set(counts["disputes"]) == {
        "taken_in",
        "open",
        "overdue",
        "alarms",
        "year_taken_in",
        "year_successful",
        "success_rate",
    }
    assert set(counts["today"]) == FIGURES and set(counts["year"]) == FIGURES
    assert counts["child_level"] == "town"
    assert [c["name"] for c in counts["by_child"]] == list(
        Center.objects.filter(parent=district).order_by("code").values_list("name", flat=True)
    )
    assert all(set(c) == FIGURES | {"id", "name"} for c in counts["by_child"])
    assert set(body["feed"][0]) == ITEM_KEYS
    assert set(body["alarms"][0]) == ITEM_KEYS
    assert set(body["open_events"][0]) == set(snapshot.MAP_ITEM_KEYS)
    assert set(body["labels"]) == {
        "state",
        "light",
        "action",
        "level",
        "supervision",
        "dispute_state",
        "risk",
        "signal",
    }


def test_feed_map_and_alarms_hold_the_right_events(api, world):
    body = get(api, "duty").json()
    w = world
    assert ids(body["feed"]) == {e.pk for e in w.values()}
    # newest change first
    assert body["feed"][0]["id"] == w["other"].pk
    assert ids(body["open_events"]) == {w["urgent"].pk, w["red"].pk, w["police"].pk, w["escalated"].pk, w["other"].pk}
    assert ids(body["alarms"]) == {w["urgent"].pk, w["red"].pk, w["other"].pk}
    red = next(item for item in body["alarms"] if item["id"] == w["red"].pk)
    assert red["light"] == "red" and red["open"] is True and red["url"] == f"/events/{w['red'].pk}/"
    closed = next(item for item in body["feed"] if item["id"] == w["closed"].pk)
    assert closed["open"] is False and closed["state"] == "closed" and closed["action"] == "verify_pass"


def test_a_volunteers_request_for_urgency_is_marked_in_the_feed_and_on_the_map_without_an_alarm(
    api, world, report, act
):
    """Until the accepting center confirms it, the request is shown (the volunteer may be right) but
    does not sound the alarm; confirmed, it is an urgent event like any other."""
    requested = report("volunteer", urgent=True, description="河边有人落水，请求紧急救援")
    body = get(api, "duty").json()
    feed = {item["id"]: item for item in body["feed"]}
    on_map = {item["id"]: item for item in body["open_events"]}
    assert (feed[requested.pk]["urgent"], feed[requested.pk]["urgent_requested"]) == (False, True)
    assert on_map[requested.pk]["urgent_requested"] is True
    assert requested.pk not in ids(body["alarms"])
    assert feed[world["urgent"].pk]["urgent_requested"] is False  # a grid worker's urgent is not a request

    act(requested, "hangtianlu", "accept", confirm_urgent=True)
    body = get(api, "duty").json()
    item = next(item for item in body["feed"] if item["id"] == requested.pk)
    assert (item["urgent"], item["urgent_requested"]) == (True, False)
    assert requested.pk in ids(body["alarms"])


def test_counts_agree_with_the_statistics(api, world):
    """The dashboard's figures are the statistics' figures (one definition), today and this year."""
    from django.utils import timezone

    counts = get(api, "duty").json()["counts"]
    today = timezone.localdate()
    for name, period in (
        ("today", Period.from_dates(today, today)),
        ("year", Period.from_dates(today.replace(month=1, day=1), today)),
    ):
        totals = stats_summary(Event.objects.all(), period)["totals"]
        assert counts[name] == {key: totals[key] for key in FIGURES}, name
    assert counts["today"]["reported"] == 6 and counts["today"]["open"] == 5
    assert counts["today"]["closed"] == 1 and counts["today"]["escalations"] == 1
    liucheng = next(c for c in counts["by_child"] if c["name"] == "柳城街道")
    yongning = next(c for c in counts["by_child"] if c["name"] == "永宁街道")
    assert (liucheng["reported"], liucheng["open"], liucheng["escalations"]) == (5, 4, 1)
    assert (yongning["reported"], yongning["open"]) == (1, 1)
    assert sum(c["reported"] for c in counts["by_child"]) == counts["year"]["reported"]


def test_a_community_dashboard_is_sliced_by_grid(api, world, hangtianlu_point):
    counts = get(api, "hangtianlu").json()["counts"]
    assert counts["child_level"] == "grid"
    community = Center.objects.get(name="航天路社区")
    assert [c["id"] for c in counts["by_child"]] == list(
        Grid.objects.filter(center=community).order_by("code").values_list("id", flat=True)
    )
    grid = Grid.objects.get(code="510115001001001")
    assert next(c for c in counts["by_child"] if c["id"] == grid.pk)["reported"] == 5


def test_counts_for_a_stream_need_no_user(world, dept):
    """What the realtime side calls once a second: a stream's name is enough."""
    town = Center.objects.get(name="柳城街道")
    assert stream_counts(f"center.{town.pk}") == counts_for(town)
    assert counts_for(town.pk)["year"]["reported"] == 5
    police = dept("police")
    by_department = stream_counts(f"department.{police.pk}")
    assert by_department["year"]["reported"] == 1 and by_department["year"]["open"] == 1
    with pytest.raises(ValueError):
        stream_counts("user.1")


def test_counts_take_a_few_queries_whatever_the_number_of_events(world, report, django_assert_num_queries):
    district = Center.objects.get(parent__isnull=True)
    # The subtree, the events (two ways), the disputes, the care figures, the cameras (the subtree, the counts).
    with django_assert_num_queries(7):
        counts_for(district)
    community = Center.objects.get(name="航天路社区")
    with django_assert_num_queries(9):  # and its grids (for the events and for the cameras)
        counts_for(community)


# --- scope ----------------------------------------------------------------------------------------


def every_id(body):
    return ids(body["feed"]) | ids(body["open_events"]) | ids(body["alarms"])


def test_a_town_officer_sees_only_the_town(api, world):
    body = get(api, "liucheng").json()
    assert body["center"]["name"] == "柳城街道"
    assert world["other"].pk not in every_id(body)
    assert every_id(body) == {e.pk for name, e in world.items() if name != "other"}
    assert body["counts"]["year"]["reported"] == 5
    assert body["counts"]["child_level"] == "community"
    assert "永宁街道" not in {c["name"] for c in body["counts"]["by_child"]}


def test_another_towns_center_is_refused(api, world):
    yongning = Center.objects.get(name="永宁街道")
    response = get(api, "liucheng", f"?center={yongning.pk}")
    assert response.status_code == 404
    assert response.json()["detail"]
    district = Center.objects.get(parent__isnull=True)
    assert get(api, "liucheng", f"?center={district.pk}").status_code == 404


def test_a_center_inside_the_area_can_be_chosen(api, world):
    community = Center.objects.get(name="航天路社区")
    body = get(api, "liucheng", f"?center={community.pk}").json()
    assert body["center"]["name"] == "航天路社区" and body["stream"] == f"center.{community.pk}"
    assert body["counts"]["child_level"] == "grid"
    town = Center.objects.get(name="永宁街道")
    body = get(api, "duty", f"?center={town.pk}").json()
    assert every_id(body) == {world["other"].pk}


def test_department_staff_see_only_their_departments_tickets(api, world, dept):
    body = get(api, "police").json()
    assert body["stream"] == f"department.{dept('police').pk}"
    assert every_id(body) == {world["police"].pk}
    assert body["counts"]["year"]["reported"] == 1
    assert every_id(get(api, "chengguan").json()) == set()


def test_department_staff_cannot_narrow_their_dashboard(api, world):
    town = Center.objects.get(name="柳城街道")
    assert get(api, "police", f"?center={town.pk}").status_code == 404


def test_an_administrator_sees_the_district(api, world):
    body = get(api, "admin").json()
    assert body["center"]["level"] == "district"
    assert every_id(body) == {e.pk for e in world.values()}


@pytest.mark.parametrize("username", ["gridworker", "volunteer", "mediator"])
def test_roles_without_a_dashboard_are_refused(api, world, username):
    response = get(api, username)
    assert response.status_code == 403
    assert "dashboard" in response.json()["detail"] or "指挥" in response.json()["detail"]


def test_signed_out_is_refused(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(("value", "status"), [("abc", 400), ("1.5", 400), ("999999", 404), ("-3", 404)])
def test_a_bad_center_is_a_clear_error(api, value, status):
    response = get(api, "duty", f"?center={value}")
    assert response.status_code == status
    body = response.json()
    assert body.get("detail") or body.get("center")


def test_dashboard_center_rules(demo_user):
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    assert dashboard_center(demo_user("liucheng")).name == "柳城街道"
    assert dashboard_center(demo_user("police")).name == "温江区"
    assert dashboard_center(demo_user("admin")).level == "district"
    with pytest.raises(PermissionDenied):
        dashboard_center(demo_user("gridworker"))
    with pytest.raises(ValidationError):
        dashboard_center(demo_user("duty"), "x")
    with pytest.raises(Http404):
        dashboard_center(demo_user("hangtianlu"), Center.objects.get(name="柳城街道").pk)


# --- sequence, queries, language -------------------------------------------------------------------


def test_the_stream_number_is_read_before_any_query(world, demo_user, monkeypatch):
    user = demo_user("liucheng")
    center = dashboard_center(user)
    seen = []
    with CaptureQueriesContext(connection) as queries:

        def current_seq(stream, client=None):
            seen.append((stream, len(queries.captured_queries)))
            return 7

        monkeypatch.setattr(groups, "current_seq", current_seq)
        body = snapshot_for(user, center)
    assert seen == [(f"center.{center.pk}", 0)]
    assert body["seq"] == 7


def test_without_redis_the_snapshot_still_loads(api, world, monkeypatch):
    import redis

    def down(stream, client=None):
        raise redis.ConnectionError("no redis")

    monkeypatch.setattr(groups, "current_seq", down)
    response = get(api, "duty")
    assert response.status_code == 200
    assert response.json()["seq"] is None


def test_the_snapshot_takes_the_same_queries_for_more_events(api, world, report):
    event_clocks.reference()  # the categories' cache, loaded at most every 30 s

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert get(api, "duty").status_code == 200
        return len(queries.captured_queries)

    before = count()
    for i in range(6):
        report(description=f"第{i}件", urgent=i % 2 == 0)
    assert count() == before
    # Events, disputes, the special populations, patrols and the cameras, each a fixed number of queries.
    assert before <= 20


def test_labels_follow_the_language(api, world):
    chinese = get(api, "duty", lang="zh-hans").json()["labels"]
    assert chinese["state"]["reported"] == "待受理"
    assert chinese["light"]["red"] == "红灯"
    assert chinese["level"]["town"] == "镇（街道）"
    english = get(api, "duty", lang="en").json()["labels"]
    assert english["state"]["reported"] == "Reported"
    assert english["action"]["escalate"] == "Escalate"


def test_the_snapshot_is_in_the_api_schema(client, demo_user):
    client.force_login(demo_user("duty"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/dashboard/snapshot/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"center"}
    assert {"200", "400", "403", "404"} <= set(operation["responses"])


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/wall/"])
def test_the_pages_render_for_a_duty_officer(client, demo_user, url):
    client.force_login(demo_user("duty"))
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    district = Center.objects.get(parent__isnull=True)
    for needle in [
        'id="feed"',
        'id="alarms"',
        'id="dash-map"',
        'id="chart-by-child"',
        'id="tile-today-reported"',
        'id="tile-year-on_time_rate"',
        "data-live-state=",
        f'data-snapshot-url="/api/dashboard/snapshot/?center={district.pk}"',
        f'data-ws-path="/ws/dashboard/?center={district.pk}"',
        "/static/vendor/echarts/echarts.min.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/js/dashboard.js",
        "今日",
        "办结率",
        "按时办结率",
        "逐级上报",
    ]:
        assert needle in page, needle
    assert "http://" not in page and "https://" not in page  # nothing from the internet
    if url.endswith("wall/"):
        assert 'class="topbar"' not in page and 'class="wall"' in page
    else:
        assert 'class="topbar"' in page


def test_the_wall_can_follow_a_town(client, demo_user):
    client.force_login(demo_user("duty"))
    town = Center.objects.get(name="柳城街道")
    page = client.get(f"/dashboard/wall/?center={town.pk}").content.decode()
    assert f'data-ws-path="/ws/dashboard/?center={town.pk}"' in page
    assert "柳城街道" in page


@pytest.mark.parametrize("username", ["gridworker", "volunteer", "mediator"])
@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/wall/"])
def test_the_pages_are_refused_to_roles_without_a_dashboard(client, demo_user, username, url):
    client.force_login(demo_user(username))
    assert client.get(url).status_code == 403


def test_the_pages_need_a_login(client):
    for url in ["/dashboard/", "/dashboard/wall/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_pages_refuse_a_center_outside_the_area(client, demo_user):
    client.force_login(demo_user("liucheng"))
    yongning = Center.objects.get(name="永宁街道")
    assert client.get(f"/dashboard/?center={yongning.pk}").status_code == 404
    assert client.get("/dashboard/?center=x").status_code == 404


@pytest.mark.parametrize(
    ("username", "shown"),
    [("duty", True), ("liucheng", True), ("police", True), ("gridworker", False), ("volunteer", False)],
)
def test_the_navigation_links_the_dashboard_for_the_roles_that_have_one(client, demo_user, username, shown):
    client.force_login(demo_user(username))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ('href="/dashboard/"' in page) is shown
    assert ("指挥大屏" in page) is shown
    assert snapshot.has_dashboard(demo_user(username)) is shown
