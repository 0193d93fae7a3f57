"""The live dashboard's video panel: the online rate of the area's cameras by network and by child
center (towns for the district, communities for a town, grids for a community), the same figures as
video.selectors.camera_online_rate; a camera's status change is pushed to its centers' streams, and
the figures that follow (consumers.CountsHub) carry the moved rate. Only for the roles that watch the
area's cameras."""

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from grids.models import Center
from video import services as video_services
from video.choices import CameraStatus
from video.models import Camera
from video.selectors import camera_online_rate, center_online_figures
from wenjiang_ops.live.snapshot import counts_for

from .conftest import Socket, settle
from .test_push import committed, user  # noqa: F401  (the fixture and helper of the event pushes)


def rows(rates):
    return [{"key": r.key, "total": r.total, "online": r.online, "rate": r.rate} for r in rates]


def without_names(children):
    return [{k: v for k, v in row.items() if k != "name"} for row in children]


@pytest.mark.django_db
def test_the_panels_figures_are_the_selectors_for_the_district_and_a_town():
    duty, town = User.objects.get(username="duty"), User.objects.get(username="liucheng")
    district = counts_for(duty.center)["video"]
    assert district["by_network"] == rows(camera_online_rate(duty, by="network"))
    assert without_names(district["by_child"]) == rows(camera_online_rate(duty, by="town"))
    assert [c["name"] for c in district["by_child"]] == [r.name for r in camera_online_rate(duty, by="town")]
    assert district["child_level"] == "town" and len(district["by_child"]) == 9
    every = Camera.objects.filter(active=True)
    assert district["total"] == every.count() > 1000
    assert district["online"] == every.filter(status=CameraStatus.ONLINE).count()
    assert district["rate"] == round(district["online"] / district["total"], 4)
    liucheng = counts_for(town.center)["video"]
    assert liucheng["child_level"] == "community"
    assert liucheng["by_network"] == rows(camera_online_rate(town, by="network"))
    assert without_names(liucheng["by_child"]) == rows(camera_online_rate(town, by="community"))
    assert "永宁街道" not in str(liucheng)


@pytest.mark.django_db
def test_a_communitys_panel_is_sliced_by_grid():
    community = Center.objects.get(name="航天路社区")
    figures = center_online_figures(community)
    assert figures["child_level"] == "grid"
    cameras = Camera.objects.filter(active=True, center=community)
    assert figures["total"] == cameras.count() > 0
    for row in figures["by_child"]:
        in_grid = cameras.filter(grid_id=int(row["key"]))
        assert (row["total"], row["online"]) == (in_grid.count(), in_grid.filter(status=CameraStatus.ONLINE).count())
    assert sum(row["total"] for row in figures["by_child"]) == cameras.exclude(grid=None).count()


@pytest.mark.django_db
def test_only_those_who_watch_the_areas_cameras_get_the_panel(api, client):
    body = api.as_user("duty").get("/api/dashboard/snapshot/").json()
    assert body["counts"]["video"]["total"] > 0
    police = api.as_user("police").get("/api/dashboard/snapshot/").json()  # a department's dashboard
    assert police["counts"]["video"] is None
    client.force_login(User.objects.get(username="duty"))
    page = client.get("/dashboard/").content.decode()
    assert 'id="video-panel"' in page and 'data-network="huiyan"' in page
    client.force_login(User.objects.get(username="police"))
    assert 'id="video-panel"' not in client.get("/dashboard/").content.decode()


@pytest.mark.django_db
def test_the_counts_take_two_more_queries_for_the_panel(django_assert_num_queries):
    town = Center.objects.get(name="柳城街道")
    with django_assert_num_queries(2):  # the subtree's centers, the cameras counted
        center_online_figures(town)
    community = Center.objects.get(name="航天路社区")
    with django_assert_num_queries(3):  # and the grids' names
        center_online_figures(community)


@pytest.mark.usefixtures("live")
def test_a_status_change_is_pushed_to_its_centers_and_moves_the_figures(run_async, committed, monkeypatch):  # noqa: F811
    from wenjiang_ops.live import consumers

    community = Center.objects.get(name="航天路社区")
    camera = Camera.objects.filter(center=community, active=True, status=CameraStatus.ONLINE).order_by("pk").first()
    before = counts_for(community.parent)["video"]
    hub = consumers.CountsHub()
    monkeypatch.setattr(consumers, "hub", hub)

    async def scenario():
        sockets = {name: Socket(await sync_to_async(user)(name)) for name in ("liucheng", "hangtianlu", "yongning")}
        hello = {name: await s.open() for name, s in sockets.items()}
        await settle()
        await hub.tick()  # the sockets have the snapshot's figures: nothing to send
        await committed(
            video_services.cameras_set_status, {camera.pk: CameraStatus.OFFLINE}, source="manual", detail="test"
        )
        pushed = {name: await s.next() for name, s in sockets.items() if name != "yongning"}
        quiet = await sockets["yongning"].nothing(0.2)
        await hub.tick()
        counts = await sockets["liucheng"].next()
        for s in sockets.values():
            await s.close()
        return hello, pushed, quiet, counts

    hello, pushed, quiet, counts = run_async(scenario)
    assert quiet, "another town's dashboard hears nothing"
    for name in ("liucheng", "hangtianlu"):
        message = pushed[name]
        assert message["type"] == "camera" and message["seq"] == hello[name]["seq"] + 1
        assert message["data"]["changed"] == 1 and message["data"]["to"] == {"offline": 1}
    assert counts["type"] == "counts" and counts["seq"] == pushed["liucheng"]["seq"]
    after = counts["data"]["video"]
    assert after["online"] == before["online"] - 1 and after["total"] == before["total"]
    moved = {row["key"]: row["online"] for row in after["by_child"]}
    was = {row["key"]: row["online"] for row in before["by_child"]}
    assert moved[str(community.pk)] == was[str(community.pk)] - 1
    assert {k: v for k, v in moved.items() if k != str(community.pk)} == {
        k: v for k, v in was.items() if k != str(community.pk)
    }
