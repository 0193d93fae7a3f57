"""The demo's walls and patrol tours (video.demo.seed_walls, run by seed_demo): a saved wall per center
— the district's 4×4, each town's 3×3 — whose layout shows the live test-pattern cameras first and then
the rest of the registry, and a patrol tour per center (its cameras in order, 15 s each); seeding again
changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from grids.choices import Level
from grids.models import Center
from video.choices import CameraStatus, Purpose
from video.demo import LAYOUT_NAME, TOUR_NAME, WALL_NAME, seed_video, seed_walls
from video.models import Camera, Tour, TourStep, Wall, WallLayout, WallSlot
from video.selectors import HOUSEHOLD_Q, consent_q

pytestmark = pytest.mark.django_db


def watchable_live(center: Center) -> list[Camera]:
    """The live test-pattern cameras of the center's subtree that it may watch on patrol."""
    from django.utils import timezone

    return list(
        Camera.objects.filter(center__path__startswith=center.path, stream__startswith="demo-")
        .filter(~HOUSEHOLD_Q | consent_q(center_id=center.pk, purpose=Purpose.PATROL, now=timezone.now()))
        .order_by("stream")
    )


def slots_of(wall: Wall) -> list[Camera]:
    return [s.camera for s in WallSlot.objects.filter(layout=wall.layout).select_related("camera").order_by("position")]


def test_the_district_and_every_town_have_a_wall_showing_their_live_cameras_first():
    centers = list(Center.objects.filter(level__in=[Level.DISTRICT, Level.TOWN]).order_by("path"))
    assert len(centers) == 10
    for center in centers:
        wall = Wall.objects.select_related("layout").get(center=center, name=WALL_NAME)
        tiles = 16 if center.level == Level.DISTRICT else 9
        assert wall.layout.name == LAYOUT_NAME and wall.layout.tiles == tiles and wall.tour_id is None
        cameras = slots_of(wall)
        assert len(cameras) == tiles, center.name
        assert all(c.center.path.startswith(center.path) for c in cameras)
        live = watchable_live(center)[:tiles]
        assert live, f"{center.name} has a live camera"
        assert cameras[: len(live)] == live  # the test patterns first …
        rest = cameras[len(live) :]
        assert all(
            not c.stream.startswith("demo-") and c.status == CameraStatus.ONLINE for c in rest
        )  # … then the registry
    district = Wall.objects.get(center__level=Level.DISTRICT, name=WALL_NAME)
    assert not any(c.household for c in slots_of(district)), "no household consented to the district"


def test_a_patrol_tour_per_center_steps_through_its_cameras_every_15_seconds():
    for center in Center.objects.filter(level__in=[Level.DISTRICT, Level.TOWN]):
        tour = Tour.objects.get(center=center, name=TOUR_NAME)
        steps = list(tour.steps.select_related("camera__center").order_by("position"))
        assert [s.position for s in steps] == list(range(len(steps))) and 1 <= len(steps) <= 8
        assert all(s.camera and s.group_id is None and s.dwell_seconds == 15 for s in steps)
        assert all(s.camera.center.path.startswith(center.path) for s in steps)
        live = watchable_live(center)
        assert [s.camera for s in steps][: min(len(live), 8)] == live[:8]


def test_a_duty_officer_sees_the_demo_wall_and_can_start_its_tour():
    duty = Client()
    duty.force_login(User.objects.get(username="duty"))
    response = duty.get("/video/wall/")
    state = response.context["state"]
    assert state["name"] == WALL_NAME and state["layout"]["tiles"] == 16 and len(state["layout"]["slots"]) == 16
    tour = Tour.objects.get(center=response.context["wall"].center, name=TOUR_NAME)
    assert tour in response.context["tours"]
    assert duty.post(f"/video/wall/{state['id']}/show/", {"tour": tour.pk}).status_code == 302
    frames = duty.get(f"/video/wall/?wall={state['id']}").context["state"]["tour"]["frames"]
    assert len(frames) == tour.steps.count() and all(f["dwell"] == 15 for f in frames)


def rows():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Wall, WallLayout, WallSlot, Tour, TourStep)
    }


def test_seeding_again_changes_nothing_and_a_missing_wall_is_made_again():
    before = rows()
    slots = list(WallSlot.objects.order_by("pk").values_list("layout_id", "position", "camera_id"))
    seed_video(lambda line: None)
    seed_walls(lambda line: None)
    assert rows() == before
    assert list(WallSlot.objects.order_by("pk").values_list("layout_id", "position", "camera_id")) == slots
    # A center's own change stays: another layout shown is not put back.
    town = Center.objects.get(name="柳城街道")
    wall = Wall.objects.get(center=town, name=WALL_NAME)
    Wall.objects.filter(pk=wall.pk).update(layout=None)
    Tour.objects.filter(center=town, name=TOUR_NAME).delete()
    seed_walls(lambda line: None)
    assert Wall.objects.get(pk=wall.pk).layout_id is None
    assert Tour.objects.get(center=town, name=TOUR_NAME).steps.count() >= 1
    assert Wall.objects.count() == len(before["Wall"])
