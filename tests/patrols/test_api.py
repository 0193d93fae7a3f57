"""The patrols API on the real database: a patrol from start to end as a phone drives it, the
answers of the error contract, and exact query counts on the lists."""

import uuid
from datetime import datetime, timedelta

import pytest

from clocks.calendars import SHANGHAI
from events.models import EventCategory
from patrols import services
from patrols.models import Patrol, PatrolReport, TrackPoint

from .factories import plan_of, route, walk

pytestmark = pytest.mark.django_db


def test_a_patrol_through_the_api(api, demo_user):
    client = api.as_user("volunteer")
    plan = plan_of("volunteer")
    client_id = str(uuid.uuid4())
    started = client.post("/api/patrols/", {"plan": plan.pk, "client_id": client_id}, format="json")
    assert started.status_code == 201, started.json()
    patrol = started.json()
    assert patrol["state"] == "active" and patrol["plan"] == plan.pk
    again = client.post("/api/patrols/", {"plan": plan.pk, "client_id": client_id}, format="json")
    assert again.status_code == 200 and again.json()["id"] == patrol["id"]
    other = client.post("/api/patrols/", {"plan": plan.pk}, format="json")
    assert other.status_code == 409 and int(other.json()["patrol"]) == patrol["id"]

    a, b = route(plan)[:2]
    now = datetime.now(SHANGHAI)
    points = [
        {"seq": 0, "at": (now - timedelta(seconds=20)).isoformat(), "lat": a.point.y, "lng": a.point.x, "accuracy": 5},
        {"seq": 1, "at": (now - timedelta(seconds=10)).isoformat(), "lat": b.point.y, "lng": b.point.x},
    ]
    tracked = client.post(f"/api/patrols/{patrol['id']}/track/", {"points": points}, format="json")
    assert tracked.status_code == 200 and tracked.json() == {"acked": [0, 1], "stored": 2}
    bad = client.post(f"/api/patrols/{patrol['id']}/track/", {"points": [{"seq": 2}]}, format="json")
    assert bad.status_code == 400 and "points[0]" in bad.json()

    tap = client.post(
        f"/api/patrols/{patrol['id']}/check-ins/", {"place": a.pk, "lat": a.point.y, "lng": a.point.x}, format="json"
    )
    assert tap.status_code == 201 and tap.json()["method"] == "tap" and tap.json()["place"] == a.pk
    qr = client.post(f"/api/patrols/{patrol['id']}/check-ins/", {"qr_token": b.qr_token}, format="json")
    assert qr.status_code == 201 and qr.json()["method"] == "qr"
    far = client.post(
        f"/api/patrols/{patrol['id']}/check-ins/",
        {"place": route(plan)[2].pk, "lat": 30.0, "lng": 103.0},
        format="json",
    )
    assert far.status_code == 400 and "place" in far.json()

    category = EventCategory.objects.filter(children__isnull=True).order_by("pk").first()
    report = client.post(
        f"/api/patrols/{patrol['id']}/reports/",
        {
            "kind": "event",
            "client_id": str(uuid.uuid4()),
            "category": category.pk,
            "description": "路灯不亮",
            "place": b.pk,
        },
        format="json",
    )
    assert report.status_code == 201 and report.json()["kind"] == "event"
    assert PatrolReport.objects.get(event_id=report.json()["id"]).place_id == b.pk

    ended = client.post(f"/api/patrols/{patrol['id']}/end/")
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    assert ended.json()["check_in_count"] == 2 and ended.json()["point_count"] == 2
    assert client.post(f"/api/patrols/{patrol['id']}/end/").status_code == 409

    replay = client.get(f"/api/patrols/{patrol['id']}/replay/").json()
    assert replay["track"]["geometry"]["coordinates"] == [[a.point.x, a.point.y], [b.point.x, b.point.y]]
    assert [c["place_id"] for c in replay["check_ins"]] == [a.pk, b.pk]
    assert [r["id"] for r in replay["reports"]] == [report.json()["id"]]

    # The community's staff sees it; the plan's coverage counts it.
    staff = api.as_user("hangtianlu")
    assert staff.get(f"/api/patrols/{patrol['id']}/").status_code == 200
    covered = staff.get(f"/api/patrols/plans/{plan.pk}/").json()["coverage"]
    assert covered["patrols_done"] == 1 and covered["places_checked"] == 2
    assert covered["coverage"] == pytest.approx(2 / covered["places_due"])


def test_plan_create_through_the_api(api, demo_user):
    base = plan_of("gridworker")
    stops = [p.pk for p in route(base)[:3]]
    body = {
        "name": "夜间巡查",
        "grid": base.grid_id,
        "period": "day",
        "patrols_per_period": 1,
        "places": stops,
        "assignees": [demo_user("gridworker").pk],
    }
    made = api.as_user("hangtianlu").post("/api/patrols/plans/", body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["places"] == stops and made.json()["coverage"]["places_due"] == 3
    assert api.as_user("gridworker").post("/api/patrols/plans/", body, format="json").status_code == 403
    bad = api.as_user("hangtianlu").post("/api/patrols/plans/", {**body, "places": []}, format="json")
    assert bad.status_code == 400 and "places" in bad.json()


def test_list_query_counts_do_not_grow_with_rows(api, demo_user, django_assert_num_queries):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    start = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    for day in range(6):
        walk(worker, plan, start=start + timedelta(days=day), places=route(plan)[:2])
    client = api.as_user("hangtianlu")
    # the user's center (the scope), count, page (user and plan joined).
    with django_assert_num_queries(3):
        body = client.get("/api/patrols/?page_size=50").json()
    assert body["count"] >= 6
    # count, page, prefetch of stops, assignees and duties, then coverage: places due, and for each
    # distinct period span (the area has weekly and fortnightly plans) its patrols done and places
    # checked: 5 + 1 + 2 × 2, whatever the number of plans.
    with django_assert_num_queries(10):
        body = client.get("/api/patrols/plans/?page_size=100").json()
    assert len(body["results"]) > 1


def test_live_snapshot_and_figures(api, demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk)
    a = route(plan)[0]
    services.patrol_track(
        user=worker,
        patrol_id=patrol.pk,
        points=[{"seq": 0, "at": datetime.now(SHANGHAI).isoformat(), "lat": a.point.y, "lng": a.point.x}],
    )
    body = api.as_user("liucheng").get("/api/patrols/live/").json()
    item = next(p for p in body["patrols"] if p["id"] == patrol.pk)
    assert (item["lat"], item["lng"], item["state"]) == (a.point.y, a.point.x, "active")
    assert body["figures"]["active"] >= 1 and body["figures"]["plans"] > 0
    assert api.as_user("gridworker").get("/api/patrols/live/").status_code == 403
    assert api.as_user("liucheng").get("/api/patrols/live/?center=x").status_code == 400


def test_places_geojson(api):
    body = api.as_user("hangtianlu").get("/api/places/?kind=compound&page_size=500").json()
    assert body["type"] == "FeatureCollection" and body["features"]
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["kind"] == "compound"
    assert feature["properties"]["outline"]["type"] == "Polygon"


def test_track_points_only_through_the_owner(api):
    plan = plan_of("gridworker")
    patrol = Patrol.objects.create(
        user=plan.assignees.first(), plan=plan, center=plan.center, started_at=datetime.now(SHANGHAI)
    )
    answer = api.as_user("volunteer").post(
        f"/api/patrols/{patrol.pk}/track/",
        {"points": [{"seq": 0, "at": datetime.now(SHANGHAI).isoformat(), "lat": 30.7, "lng": 103.8}]},
        format="json",
    )
    assert answer.status_code == 404 and not TrackPoint.objects.filter(patrol=patrol).exists()
