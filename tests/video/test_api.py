"""The video API: answers, errors and exact query counts (a list costs the same however many rows)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from video.choices import CameraStatus, Network
from video.models import Viewing

pytestmark = pytest.mark.django_db


def counted(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, len(queries)


def test_the_camera_list_is_geojson_filtered_and_counts_its_queries(api, camera, yongning):
    client = api.as_user("liucheng")
    client.get("/api/cameras/?network=other")  # warm: the process's one-time lookups
    inside = camera(network=Network.OTHER, codec="h265")
    camera(yongning, network=Network.OTHER)
    response, queries = counted(lambda: client.get("/api/cameras/?network=other"))
    body = response.json()
    assert response.status_code == 200 and body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [inside.pk]  # 永宁's is not liucheng's
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["needs_transcoding"] is True
    assert feature["properties"]["playable"] is False and feature["properties"]["center_name"] == "航天路社区"
    for _ in range(5):
        camera(network=Network.OTHER)
    again, more = counted(lambda: client.get("/api/cameras/?network=other"))
    assert len(again.json()["features"]) == 6
    # the count, the rows (centers and servers joined; the scope's centers a subquery)
    assert queries == more == 2


def test_camera_list_filters(api, camera, user):
    client = api.as_user("duty")
    offline = camera(network=Network.OTHER, status=CameraStatus.OFFLINE)
    camera(network=Network.OTHER)
    ids = lambda url: {f["id"] for f in client.get(url).json()["features"]}  # noqa: E731
    assert ids("/api/cameras/?network=other&status=offline") == {offline.pk}
    town = user("liucheng").center
    assert offline.pk in ids(f"/api/cameras/?network=other&center={town.pk}")
    p = offline.point
    assert offline.pk in ids(
        f"/api/cameras/?network=other&bbox={p.x - 0.001},{p.y - 0.001},{p.x + 0.001},{p.y + 0.001}"
    )
    for bad in ("network=mars", "status=sleepy", "bbox=1,2,3", "bbox=3,3,1,1", "center=x"):
        assert client.get(f"/api/cameras/?{bad}").status_code == 400, bad


def test_camera_detail_and_history(api, camera, yongning):
    cam = camera()
    client = api.as_user("hangtianlu")
    assert client.get(f"/api/cameras/{cam.pk}/").json()["properties"]["code"] == cam.code
    assert client.get(f"/api/cameras/{camera(yongning).pk}/").status_code == 404
    response = client.patch(f"/api/cameras/{cam.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 200 and response.json()["properties"]["name"] == "改名"
    assert client.patch(f"/api/cameras/{cam.pk}/", {"code": "12"}, format="json").status_code == 400
    assert client.get(f"/api/cameras/{cam.pk}/history/").status_code == 200


def test_nearest_answers_distances_in_one_query_after_the_scope(api, camera, hangtianlu):
    here = hangtianlu.boundary.point_on_surface
    cam = camera(point=here)
    client = api.as_user("hangtianlu")
    client.get(f"/api/cameras/nearest/?lat={here.y}&lng={here.x}&n=5")  # warm
    response, queries = counted(lambda: client.get(f"/api/cameras/nearest/?lat={here.y}&lng={here.x}&n=5"))
    rows = response.json()
    assert response.status_code == 200 and len(rows) == 5
    assert rows[0]["id"] == cam.pk and rows[0]["distance_m"] < 1 and rows[0]["playable"] is True
    assert [r["distance_m"] for r in rows] == sorted(r["distance_m"] for r in rows)
    assert queries == 1  # the KNN query, the scope and the consent inside it
    for bad in (
        "lat=91&lng=1",
        "lat=x&lng=1",
        "lat=30&lng=103&n=0",
        "lat=30&lng=103&n=101",
        "lat=30&lng=103&purpose=fun",
    ):
        assert client.get(f"/api/cameras/nearest/?{bad}").status_code == 400, bad


def test_play_heartbeat_and_end(api, camera, user):
    cam = camera()
    client = api.as_user("hangtianlu")
    response = client.post(f"/api/cameras/{cam.pk}/play/", {"purpose": "patrol"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["url"].endswith(f"/{body['token']}/{cam.stream}/index.m3u8") and body["camera"]["id"] == cam.pk
    viewing = body["viewing"]
    beat = client.post(f"/api/viewings/{viewing}/heartbeat/", {}, format="json")
    assert beat.status_code == 200 and beat.json()["viewing"] == viewing
    end = client.post(f"/api/viewings/{viewing}/end/", {"csrfmiddlewaretoken": "x"})  # sendBeacon's form
    assert end.status_code == 200 and end.json()["ended_at"]
    assert client.post(f"/api/viewings/{viewing}/heartbeat/", {}, format="json").status_code == 409
    assert client.post("/api/viewings/nonsense/end/").status_code == 404
    refused = client.post(f"/api/cameras/{cam.pk}/play/", {"purpose": "alarm"}, format="json")
    assert refused.status_code == 400 and refused.json()["problem"] == "needs_event"
    assert client.post(f"/api/cameras/{cam.pk}/play/", {}, format="json").status_code == 400
    listed = client.get("/api/viewings/").json()["results"]
    assert any(v["id"] == viewing and v["duration_seconds"] >= 0 for v in listed)


def test_the_viewings_list_costs_the_same_for_more_rows(api, camera, user):
    from video import services

    cam = camera()
    client = api.as_user("hangtianlu")
    services.camera_play(user=user("hangtianlu"), camera_id=cam.pk, purpose="patrol")
    client.get(f"/api/viewings/?camera={cam.pk}")  # warm
    _, few = counted(lambda: client.get(f"/api/viewings/?camera={cam.pk}"))
    for _ in range(4):
        services.camera_play(user=user("duty"), camera_id=cam.pk, purpose="patrol")
    response, many = counted(lambda: client.get(f"/api/viewings/?camera={cam.pk}"))
    assert response.json()["count"] == 5 and few == many == 2  # the count, the rows


def test_online_rate_api(api):
    client = api.as_user("duty")
    client.get("/api/cameras/online-rate/?by=town")  # warm
    response, queries = counted(lambda: client.get("/api/cameras/online-rate/?by=town"))
    rows = response.json()
    assert response.status_code == 200 and len(rows) == 9
    assert queries == 3  # the counts, the centers, the centers at the level
    assert client.get("/api/cameras/online-rate/?by=galaxy").status_code == 400
    networks = {r["key"]: r for r in client.get("/api/cameras/online-rate/").json()}
    assert set(networks) == {"tianwang", "xueliang", "huiyan"} and 0.8 < networks["tianwang"]["rate"] <= 1


def test_walls_and_tours_over_the_api(api, camera):
    client = api.as_user("hangtianlu")
    cams = [camera() for _ in range(9)]
    wall = client.post("/api/walls/", {"name": "大屏"}, format="json").json()
    slots = [{"position": i, "camera": c.pk} for i, c in enumerate(cams)]
    layout = client.post(
        f"/api/walls/{wall['id']}/layouts/", {"name": "九宫格", "tiles": 9, "slots": slots}, format="json"
    )
    assert layout.status_code == 201 and len(layout.json()["slots"]) == 9
    tour = client.post(
        "/api/tours/",
        {"name": "巡屏", "tiles": 4, "steps": [{"camera": c.pk, "dwell_seconds": 5} for c in cams[:3]]},
        format="json",
    )
    assert tour.status_code == 201
    assert client.post(f"/api/walls/{wall['id']}/show/", {"tour": tour.json()["id"]}, format="json").status_code == 200
    client.get(f"/api/walls/{wall['id']}/")  # warm
    detail, queries = counted(lambda: client.get(f"/api/walls/{wall['id']}/"))
    body = detail.json()
    assert [len(f["cameras"]) for f in body["frames"]] == [1, 1, 1] and body["frame_now"]["index"] == 0
    assert body["layouts"][0]["tiles"] == 9
    # the wall (with its center, layout and tour), its layouts, their slots, the tour's steps, the cameras allowed
    assert queries == 5
    tour_detail = client.get(f"/api/tours/{tour.json()['id']}/").json()
    assert [s["dwell_seconds"] for s in tour_detail["steps"]] == [5, 5, 5] and len(tour_detail["frames"]) == 3
    bad = client.post("/api/tours/", {"name": "x", "tiles": 4, "steps": [{"dwell_seconds": 5}]}, format="json")
    assert bad.status_code == 400
    assert (
        client.post(
            f"/api/walls/{wall['id']}/layouts/", {"name": "x", "tiles": 6, "slots": []}, format="json"
        ).status_code
        == 400
    )
    assert api.as_user("gridworker").post("/api/walls/", {"name": "x"}, format="json").status_code == 403


def test_a_household_over_the_api(api, camera, resident, user):
    owner = resident()
    cam = camera(network=Network.HUIYAN, owner=owner)
    client = api.as_user(owner.username)
    assert client.get("/api/my-cameras/").json()[0]["consent"] is None
    given = client.put(
        f"/api/cameras/{cam.pk}/consent/", {"centers": [cam.center_id], "purposes": ["alarm", "patrol"]}, format="json"
    )
    assert given.status_code == 200 and given.json()["purposes"] == ["alarm", "patrol"]
    assert client.get("/api/my-cameras/").json()[0]["consent"]["id"] == given.json()["id"]
    staff = api.as_user("hangtianlu")  # (the same client object: now the staff member)
    assert staff.post(f"/api/cameras/{cam.pk}/play/", {"purpose": "patrol"}, format="json").status_code == 201
    assert (
        staff.put(
            f"/api/cameras/{cam.pk}/consent/", {"centers": [cam.center_id], "purposes": ["alarm"]}, format="json"
        ).status_code
        == 404
    )
    client = api.as_user(owner.username)
    seen = client.get("/api/my-cameras/viewings/").json()["results"]
    assert [(v["user_name"], v["purpose"]) for v in seen] == [(user("hangtianlu").get_full_name(), "patrol")]
    assert client.delete(f"/api/cameras/{cam.pk}/consent/").status_code == 204
    refused = api.as_user("hangtianlu").post(f"/api/cameras/{cam.pk}/play/", {"purpose": "patrol"}, format="json")
    assert refused.status_code == 403 and refused.json()["problem"] == "no_consent"
    own = api.as_user(owner.username).post(f"/api/cameras/{cam.pk}/play/", {"purpose": "own"}, format="json")
    assert own.status_code == 201
    assert Viewing.objects.filter(camera=cam).count() == 2


def test_snapshot_of_a_camera_without_a_stream_is_a_conflict(api, camera):
    cam = camera(stream=False)
    response = api.as_user("hangtianlu").post("/api/snapshots/", {"camera": cam.pk, "purpose": "patrol"}, format="json")
    assert response.status_code == 409 and response.json()["problem"] == "not_streamed"


def test_a_snapshot_attached_to_an_event_becomes_a_timeline_step(api, camera, event, monkeypatch):
    """The frame grab itself runs against a real nginx-rtmp in test_nginx_token; here the adapter
    answers a JPEG, and the snapshot goes through the events app's public service."""
    import io

    from PIL import Image

    from events.models import EventAction
    from video.adapters.nginx_rtmp import NginxRtmpAdapter

    out = io.BytesIO()
    Image.new("RGB", (320, 180), (30, 120, 200)).save(out, "JPEG")
    monkeypatch.setattr(NginxRtmpAdapter, "snapshot", lambda self, stream, token="": out.getvalue())
    cam, incident = camera(), event()
    client = api.as_user("hangtianlu")
    response = client.post("/api/snapshots/", {"camera": cam.pk, "event": incident.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    step = EventAction.objects.get(pk=body["action"])
    assert step.event_id == incident.pk and step.action == "attach" and step.attachments.count() == 1
    image = client.get(body["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert api.as_user("yongning").get(body["image_url"]).status_code == 404
    assert Viewing.objects.get(camera=cam).ended_at is not None  # the grab was a viewing, and it ended


def test_a_snapshot_from_a_server_without_snapshots_is_a_bad_gateway_not_an_error(api, camera, monkeypatch):
    from video.adapters.wvp import WvpAdapter
    from video.models import MediaServer

    wvp = MediaServer.objects.create(name="wvp", slug="wvp", kind="wvp", api_url="http://127.0.0.1:9")
    cam = camera(media_server=wvp, device_code="51011501001180000001")
    monkeypatch.setattr(WvpAdapter, "play_url_for", lambda self, device, channel, token: f"http://wvp/{token}.m3u8")
    response = api.as_user("hangtianlu").post("/api/snapshots/", {"camera": cam.pk, "purpose": "patrol"}, format="json")
    assert response.status_code == 502 and response.json()["detail"]
    assert Viewing.objects.get(camera=cam).ended_at is not None
