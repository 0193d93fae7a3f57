"""The video pages (video/views.py) through Django's test client, on the session's demo data (the
district, its ~8,000 cameras, demo-01 … demo-24 live on the `local` server, households with consent):
who may open which page, what a form writes, and that bad input writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from video.choices import Network
from video.models import Camera, Consent, Tour, Wall, WallLayout

pytestmark = pytest.mark.django_db


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def live_cameras(n: int) -> list[Camera]:
    return list(Camera.objects.filter(stream__startswith="demo-", owner__isnull=True).order_by("stream")[:n])


def test_the_camera_page_shows_the_registry_and_the_online_rates_to_a_center():
    response = client_for("duty").get("/video/")
    assert response.status_code == 200
    page = response.content.decode()
    rates = response.context["rates"]
    by_network = {r.key: r for r in rates["network"]}
    assert set(by_network) >= {Network.TIANWANG, Network.XUELIANG, Network.HUIYAN}
    assert by_network[Network.TIANWANG].total == Camera.objects.filter(network=Network.TIANWANG, active=True).count()
    assert len(rates["town"]) == 9  # the district's towns and streets
    assert response.context["page"].paginator.count == Camera.objects.filter(active=True).count()
    assert 'id="camera-map"' in page and "video/player.js" in page


def test_the_camera_page_filters_by_network_and_status():
    response = client_for("duty").get("/video/?network=xueliang&status=online")
    cameras = list(response.context["page"])
    assert cameras and all(c.network == "xueliang" and c.status == "online" for c in cameras)
    assert response.context["query"] == "network=xueliang&status=online"  # the pager keeps the filters


def test_a_bad_filter_is_said_and_ignored():
    response = client_for("duty").get("/video/?network=nope")
    assert response.status_code == 200
    assert response.context["network"] == ""
    assert [str(m) for m in response.context["messages"]]


def test_a_community_sees_only_its_subtree_and_a_volunteer_nothing():
    response = client_for("hangtianlu").get("/video/")
    user = User.objects.get(username="hangtianlu")
    centers = {c.center_id for c in response.context["page"].paginator.object_list}
    assert centers and all(
        c.path.startswith(user.center.path) for c in user.center.__class__.objects.filter(pk__in=centers)
    )
    assert client_for("volunteer").get("/video/").status_code == 403
    # A grid worker watches only with the video.watch_cameras permission.
    assert client_for("gridworker").get("/video/").status_code == 403


def test_the_nav_offers_video_to_those_who_may_use_it():
    assert "/video/wall/" in client_for("duty").get("/").content.decode()
    assert "/video/" not in client_for("gridworker").get("/events/mine/").content.decode()
    resident = client_for("household1")
    assert resident.get("/").url == "/video/mine/"  # a household's home is its cameras
    assert "/video/mine/" in resident.get("/video/mine/").content.decode()


def test_a_wall_is_created_its_layout_saved_and_shown():
    duty = client_for("duty")
    response = duty.get("/video/wall/")
    assert response.status_code == 200
    assert response.context["wall"].name == "指挥大厅"  # the demo's wall of the district (video.demo)
    response = duty.post("/video/wall/", {"name": "应急指挥"})
    wall = Wall.objects.get(name="应急指挥")
    assert response.url == f"/video/wall/?wall={wall.pk}"
    cameras = live_cameras(9)
    form = {"name": "九宫格", "tiles": "9", **{f"slot_{i}": c.pk for i, c in enumerate(cameras)}}
    assert duty.post(f"/video/wall/{wall.pk}/layouts/", form).status_code == 302
    wall.refresh_from_db()
    assert wall.layout.name == "九宫格" and wall.layout.tiles == 9
    assert [s.camera_id for s in wall.layout.slots.order_by("position")] == [c.pk for c in cameras]
    state = duty.get(f"/video/wall/?wall={wall.pk}").context["state"]
    assert [s["camera"]["id"] for s in state["layout"]["slots"]] == [c.pk for c in cameras]


def test_a_layout_with_a_tile_out_of_range_writes_nothing():
    duty = client_for("duty")
    duty.post("/video/wall/", {"name": "测试墙"})
    wall = Wall.objects.get(name="测试墙")
    camera = live_cameras(1)[0]
    response = duty.post(
        f"/video/wall/{wall.pk}/layouts/", {"name": "坏", "tiles": "4", "slot_5": camera.pk}, follow=True
    )
    assert [str(m) for m in response.context["messages"]]
    assert not WallLayout.objects.filter(wall=wall).exists()


def test_another_centers_wall_is_not_found():
    duty = User.objects.get(username="duty")
    wall = Wall.objects.create(center=duty.center, name="区中心墙")
    assert client_for("hangtianlu").get(f"/video/wall/?wall={wall.pk}").status_code == 404
    assert (
        client_for("hangtianlu").post(f"/video/wall/{wall.pk}/layouts/", {"name": "x", "tiles": "1"}).status_code == 404
    )


def test_a_tour_runs_on_the_big_screen_with_the_frame_that_shows_now():
    duty = client_for("duty")
    a, b = live_cameras(2)
    response = duty.post(
        "/video/tours/",
        {"name": "夜间巡屏", "tiles": "1", "step_camera": [a.pk, b.pk, ""], "step_dwell": ["10", "20", "15"]},
    )
    assert response.status_code == 302
    tour = Tour.objects.get(name="夜间巡屏")
    assert [(s.camera_id, s.dwell_seconds) for s in tour.steps.order_by("position")] == [(a.pk, 10), (b.pk, 20)]
    duty.post("/video/wall/", {"name": "大屏"})
    wall = Wall.objects.get(name="大屏")
    assert duty.post(f"/video/wall/{wall.pk}/show/", {"tour": tour.pk}).status_code == 302
    response = duty.get(f"/video/wall/?wall={wall.pk}&screen=1")
    assert response.templates[0].name == "video/wall_screen.html"
    state = response.context["state"]["tour"]
    assert [f["cameras"][0]["id"] for f in state["frames"]] == [a.pk, b.pk]
    assert state["frame_now"]["index"] == 0 and 0 < state["frame_now"]["seconds_left"] <= 10
    assert b'class="topbar"' not in response.content


def test_a_tour_without_steps_is_refused_and_nothing_written():
    response = client_for("duty").post(
        "/video/tours/", {"name": "空", "tiles": "4", "step_camera": [""], "step_dwell": ["15"]}
    )
    assert response.status_code == 400
    assert response.context["errors"]
    assert not Tour.objects.filter(name="空").exists()


def test_walls_and_tours_are_the_centers_own():
    for username in ("gridworker", "police", "household1"):
        assert client_for(username).get("/video/wall/").status_code == 403
        assert client_for(username).get("/video/tours/").status_code == 403


def test_the_household_gives_and_withdraws_consent_on_its_phone_page():
    resident = User.objects.get(username="household1")
    phone = client_for("household1")
    response = phone.get("/video/mine/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows and all(r["camera"].owner_id == resident.pk for r in rows)
    camera = rows[0]["camera"]
    community = camera.center
    response = phone.post(
        f"/video/mine/{camera.pk}/consent/",
        {"centers": [community.pk], "purposes": ["alarm", "patrol"], "expires_at": "2099-12-31"},
    )
    assert response.status_code == 302
    consent = Consent.objects.get(camera=camera, revoked_at__isnull=True)
    assert list(consent.centers.values_list("pk", flat=True)) == [community.pk]
    assert sorted(consent.purposes) == ["alarm", "patrol"]
    assert consent.expires_at.date().isoformat() == "2099-12-31"

    phone.post(f"/video/mine/{camera.pk}/revoke/")
    assert not Consent.objects.filter(camera=camera, revoked_at__isnull=True).exists()


def test_a_consent_for_a_center_outside_the_cameras_area_writes_nothing():
    phone = client_for("household1")
    camera = phone.get("/video/mine/").context["rows"][0]["camera"]
    before = list(Consent.objects.filter(camera=camera).values_list("pk", "revoked_at"))
    elsewhere = User.objects.get(username="yongning").center  # another street's center (航天路社区 is in 柳城)
    response = phone.post(
        f"/video/mine/{camera.pk}/consent/", {"centers": [elsewhere.pk], "purposes": ["alarm"]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]]
    assert list(Consent.objects.filter(camera=camera).values_list("pk", "revoked_at")) == before


def test_a_household_cannot_touch_anothers_camera_and_others_cannot_open_its_page():
    other = Camera.objects.filter(owner__username="household2").first()
    assert client_for("household1").post(f"/video/mine/{other.pk}/revoke/").status_code == 404
    assert client_for("duty").get("/video/mine/").status_code == 403


def test_the_event_page_offers_cameras_to_those_who_may_watch():
    from events.models import EventCategory
    from events.services import event_report

    point = Camera.objects.filter(stream="demo-01").first().point
    event, _ = event_report(
        reporter=User.objects.get(username="gridworker"),
        category_id=EventCategory.objects.get(code="sa-garbage").pk,
        description="视频面板测试",
        lat=point.y,
        lng=point.x,
        client_id="6c0bd4a4-9a51-4a8e-9b4c-0f3f9e1c1d01",
    )
    assert b'id="event-cameras"' in client_for("hangtianlu").get(f"/events/{event.pk}/").content
    # A grid worker without video.watch_cameras sees the event, not the cameras.
    page = client_for("gridworker").get(f"/events/{event.pk}/")
    assert page.status_code == 200 and b'id="event-cameras"' not in page.content


def test_a_four_tile_tour_shows_four_cameras_a_frame_and_a_refused_one_leaves_no_group():
    from video.models import CameraGroup

    duty = client_for("duty")
    cameras = live_cameras(5)
    form = {
        "name": "四分屏巡屏",
        "tiles": "4",
        "step_camera": [c.pk for c in cameras],
        "step_dwell": ["20", "5", "5", "5", "30"],
    }
    assert duty.post("/video/tours/", form).status_code == 302
    tour = Tour.objects.get(name="四分屏巡屏")
    steps = list(tour.steps.order_by("position"))
    assert [s.dwell_seconds for s in steps] == [20, 30]
    assert [[m.camera_id for m in s.group.members.order_by("position")] for s in steps] == [
        [c.pk for c in cameras[:4]],
        [cameras[4].pk],
    ]
    groups = CameraGroup.objects.count()
    # The same name again: refused, and the groups made for it are rolled back with it.
    response = duty.post("/video/tours/", form)
    assert response.status_code == 400
    assert CameraGroup.objects.count() == groups
