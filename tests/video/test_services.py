"""The video services and selectors against the real database: plays and their audit, heartbeats
that stop when consent goes, status history on change only, the nearest cameras (SQL) against the
domain's rule (Python) on many random cases, the online rate, walls, tours and consent."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.scope import scope_for
from grids.models import Grid
from video import selectors, services, tokens
from video.choices import CameraStatus, Codec, Network, Purpose, StatusSource
from video.domain import access
from video.models import Camera, CameraStatusChange, Consent, Viewing

pytestmark = pytest.mark.django_db


# --- plays -------------------------------------------------------------------------------------------


def test_a_play_records_the_viewing_and_signs_a_token_for_the_stream(user, camera, event):
    cam, incident = camera(), event()
    play = services.camera_play(user=user("hangtianlu"), camera_id=cam.pk, purpose=Purpose.ALARM, event_id=incident.pk)
    viewing = Viewing.objects.get(pk=play.viewing.pk)
    assert (viewing.camera_id, viewing.user.username, viewing.purpose, viewing.event_id) == (
        cam.pk, "hangtianlu", "alarm", incident.pk
    )  # fmt: skip
    assert viewing.center_id == user("hangtianlu").center_id and viewing.ended_at is None
    assert play.url == f"http://127.0.0.1:8088/hls/{play.token}/{cam.stream}/index.m3u8"
    checked = tokens.check(play.token, server="local", stream=cam.stream)
    assert checked.viewing == viewing.pk.hex
    assert tokens.check(play.token, server="local", stream="another") is None
    assert 0 < (play.expires_at - timezone.now()).total_seconds() <= 120


@pytest.mark.parametrize(
    "purpose, kwargs, problem, status",
    [
        ("alarm", {}, "needs_event", 400),
        ("investigation", {"reason": "查"}, "needs_reason", 400),
        ("nonsense", {}, "purpose", 400),
        ("own", {}, "not_owner", 403),
    ],
)
def test_a_play_needs_a_purpose_and_what_the_purpose_needs(user, camera, purpose, kwargs, problem, status):
    with pytest.raises(services.Refused) as refused:
        services.camera_play(user=user("hangtianlu"), camera_id=camera().pk, purpose=purpose, **kwargs)
    assert (refused.value.problem, refused.value.status) == (problem, status)
    assert not Viewing.objects.filter(user__username="hangtianlu").exists()


def test_a_camera_outside_the_area_is_not_found(user, camera, yongning):
    with pytest.raises(services.Refused) as refused:
        services.camera_play(user=user("hangtianlu"), camera_id=camera(yongning).pk, purpose="patrol")
    assert (refused.value.problem, refused.value.status) == ("not_visible", 404)
    services.camera_play(user=user("duty"), camera_id=camera(yongning).pk, purpose="patrol")  # the district sees it


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"status": CameraStatus.OFFLINE}, "offline"),
        ({"stream": "", "media_server": None}, "not_streamed"),
        ({"codec": Codec.H265}, "h265"),
    ],
)
def test_cameras_that_cannot_play(user, camera, fields, problem):
    cam = camera(**fields)
    with pytest.raises(services.Refused) as refused:
        services.camera_play(user=user("hangtianlu"), camera_id=cam.pk, purpose="patrol")
    assert (refused.value.problem, refused.value.status) == (problem, 409)


def test_an_event_outside_the_users_area_is_refused(user, camera, event, yongning):
    with pytest.raises(services.Refused) as refused:
        services.camera_play(
            user=user("hangtianlu"), camera_id=camera().pk, purpose="alarm", event_id=event(yongning).pk
        )
    assert refused.value.status == 404


def test_department_staff_and_grid_workers_watch_only_with_the_permission(user, camera, grant_watch):
    cam = camera()
    for username in ("gridworker", "police"):
        with pytest.raises(services.Refused) as refused:
            services.camera_play(user=user(username), camera_id=cam.pk, purpose="patrol")
        assert refused.value.problem == "not_visible"
        grant_watch(user(username))
        services.camera_play(user=user(username), camera_id=cam.pk, purpose="patrol")


def test_volunteers_and_mediators_never_watch(user, camera, grant_watch):
    for username in ("volunteer", "mediator"):
        grant_watch(user(username))
        with pytest.raises(services.Refused):
            services.camera_play(user=user(username), camera_id=camera().pk, purpose="patrol")


# --- household cameras and consent --------------------------------------------------------------------


def test_a_household_camera_plays_only_under_consent_and_the_revocation_stops_the_next_play_and_heartbeat(
    user, camera, consent, resident, event
):
    owner = resident()
    cam = camera(network=Network.HUIYAN, owner=owner)
    staff, incident = user("hangtianlu"), event()
    with pytest.raises(services.Refused) as refused:
        services.camera_play(user=staff, camera_id=cam.pk, purpose="alarm", event_id=incident.pk)
    assert refused.value.problem == "no_consent"
    services.consent_give(user=owner, camera_id=cam.pk, center_ids=[staff.center_id], purposes=["alarm"])
    play = services.camera_play(user=staff, camera_id=cam.pk, purpose="alarm", event_id=incident.pk)
    with pytest.raises(services.Refused):  # patrol was not consented to
        services.camera_play(user=staff, camera_id=cam.pk, purpose="patrol")
    assert services.viewing_heartbeat(user=staff, viewing_id=play.viewing.pk).token
    services.consent_revoke(user=owner, camera_id=cam.pk)
    with pytest.raises(services.Refused) as refused:
        services.viewing_heartbeat(user=staff, viewing_id=play.viewing.pk)
    assert refused.value.problem == "no_consent"
    assert Viewing.objects.get(pk=play.viewing.pk).ended_at is not None  # the play is over
    with pytest.raises(services.Refused):
        services.camera_play(user=staff, camera_id=cam.pk, purpose="alarm", event_id=incident.pk)


def test_the_town_needs_its_own_place_in_the_consent(user, camera, consent, resident, event):
    owner = resident()
    cam = camera(network=Network.HUIYAN, owner=owner)
    consent(cam, [user("hangtianlu").center_id])
    with pytest.raises(services.Refused):
        services.camera_play(user=user("liucheng"), camera_id=cam.pk, purpose="alarm", event_id=event().pk)


def test_an_expired_consent_refuses(user, camera, consent, event):
    cam = camera(network=Network.HUIYAN)
    consent(cam, [user("hangtianlu").center_id], expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.Refused):
        services.camera_play(user=user("hangtianlu"), camera_id=cam.pk, purpose="alarm", event_id=event().pk)


def test_the_owner_watches_their_camera_and_reads_who_watched_it(user, camera, resident, event):
    owner = resident()
    cam = camera(network=Network.HUIYAN, owner=owner)
    services.consent_give(user=owner, camera_id=cam.pk, center_ids=[cam.center_id], purposes=["alarm"])
    services.camera_play(user=user("hangtianlu"), camera_id=cam.pk, purpose="alarm", event_id=event().pk)
    services.camera_play(user=owner, camera_id=cam.pk, purpose="own")
    with pytest.raises(services.Refused):  # a household watches its own cameras only
        services.camera_play(user=owner, camera_id=camera().pk, purpose="own")
    seen = list(selectors.viewings_of_my_cameras(owner))
    assert [(v.user.username, v.purpose) for v in seen] == [(owner.username, "own"), ("hangtianlu", "alarm")]
    assert not selectors.viewings_of_my_cameras(user("hangtianlu")).exists()


def test_consent_is_given_by_the_owner_only_for_the_cameras_area(user, camera, resident, yongning):
    owner = resident()
    cam = camera(network=Network.HUIYAN, owner=owner)
    with pytest.raises(services.NotVisible):
        services.consent_give(user=user("hangtianlu"), camera_id=cam.pk, center_ids=[cam.center_id], purposes=["alarm"])
    with pytest.raises(ValidationError) as invalid:
        services.consent_give(user=owner, camera_id=cam.pk, center_ids=[yongning.center_id], purposes=["alarm"])
    assert "centers" in invalid.value.message_dict
    with pytest.raises(ValidationError):
        services.consent_give(user=owner, camera_id=cam.pk, center_ids=[cam.center_id], purposes=["own"])
    first = services.consent_give(user=owner, camera_id=cam.pk, center_ids=[cam.center_id], purposes=["alarm"])
    second = services.consent_give(
        user=owner, camera_id=cam.pk, center_ids=[cam.center_id, cam.center.parent_id], purposes=["patrol", "alarm"]
    )
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert second.purposes == ["alarm", "patrol"]
    assert Consent.objects.filter(camera=cam, revoked_at__isnull=True).count() == 1


# --- status -----------------------------------------------------------------------------------------


def test_status_history_is_written_on_change_only_and_announced_after_commit(
    camera, django_capture_on_commit_callbacks
):
    from video.signals import camera_status_changed

    heard = []
    receiver = lambda sender, changes, **kw: heard.extend(changes)  # noqa: E731
    camera_status_changed.connect(receiver)
    try:
        cam = camera(status=CameraStatus.ONLINE)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.cameras_set_status({cam.pk: CameraStatus.ONLINE}, source=StatusSource.POLL) == []
        assert not CameraStatusChange.objects.filter(camera=cam).exists() and heard == []
        with django_capture_on_commit_callbacks(execute=True):
            services.cameras_set_status({cam.pk: CameraStatus.OFFLINE}, source=StatusSource.POLL)
            services.cameras_set_status({cam.pk: CameraStatus.OFFLINE}, source=StatusSource.POLL)
            services.cameras_set_status({cam.pk: CameraStatus.ONLINE}, source=StatusSource.HOOK)
        history = list(
            CameraStatusChange.objects.filter(camera=cam)
            .order_by("at", "id")
            .values_list("from_status", "to_status", "source")
        )
        assert history == [("online", "offline", "poll"), ("offline", "online", "hook")]
        assert [(c["from"], c["to"]) for c in heard] == [("online", "offline"), ("offline", "online")]
        cam.refresh_from_db()
        assert cam.status == "online" and cam.last_seen_at is not None
    finally:
        camera_status_changed.disconnect(receiver)


def test_a_camera_going_offline_tells_its_centers_duty_officers_once_per_poll(
    camera, user, django_capture_on_commit_callbacks
):
    from inbox.models import Notification
    from video.notify import KIND_OFFLINE

    town = user("liucheng").center
    officer = user("liucheng")
    officer.role = "duty_officer"
    officer.save()
    grid = Grid.objects.filter(center=town).first() or None
    cams = [camera(center=town) for _ in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        services.cameras_set_status({c.pk: CameraStatus.OFFLINE for c in cams}, source=StatusSource.POLL)
    messages = list(Notification.objects.filter(user=officer, kind=KIND_OFFLINE))
    assert len(messages) == 1 and messages[0].message.startswith("7 ")
    assert grid is None or grid.pk  # (the town's cameras need no grid of their own)


def test_server_health_sets_streamed_cameras_and_leaves_unstreamed_ones(camera, local):
    from video.adapters.base import StreamHealth

    up, stalled, gone, registered = camera(status=CameraStatus.UNKNOWN), camera(), camera(), camera(stream=False)
    health = {
        up.stream: StreamHealth(name=up.stream, publishing=True, fresh=True),
        stalled.stream: StreamHealth(name=stalled.stream, publishing=True, fresh=False),
    }
    services.server_apply_health(server=local, health=health)
    states = dict(Camera.objects.filter(pk__in=[up.pk, stalled.pk, gone.pk, registered.pk]).values_list("pk", "status"))
    assert states == {up.pk: "online", stalled.pk: "stalled", gone.pk: "offline", registered.pk: "online"}


def test_an_unreachable_server_marks_nothing_offline(camera, local, settings):
    local.api_url = "http://127.0.0.1:9/stat"  # nothing listens on the discard port
    local.save()
    cam = camera()
    result = services.servers_poll()
    assert str(result["local"]).startswith("error")
    cam.refresh_from_db()
    local.refresh_from_db()
    assert cam.status == "online" and local.last_error


def test_idle_viewings_end_at_their_last_heartbeat(user, camera):
    play = services.camera_play(user=user("hangtianlu"), camera_id=camera().pk, purpose="patrol")
    later = timezone.now() + timedelta(minutes=10)
    assert services.viewings_close_idle(now=later) >= 1
    viewing = Viewing.objects.get(pk=play.viewing.pk)
    assert viewing.ended_at == viewing.last_seen_at


def test_viewing_end_is_idempotent_and_only_the_viewers(user, camera):
    play = services.camera_play(user=user("hangtianlu"), camera_id=camera().pk, purpose="patrol")
    with pytest.raises(services.Refused):
        services.viewing_end(user=user("duty"), viewing_id=play.viewing.pk)
    first = services.viewing_end(user=user("hangtianlu"), viewing_id=play.viewing.pk).ended_at
    assert services.viewing_end(user=user("hangtianlu"), viewing_id=play.viewing.pk).ended_at == first
    with pytest.raises(services.Refused) as refused:
        services.viewing_heartbeat(user=user("hangtianlu"), viewing_id=play.viewing.pk)
    assert refused.value.status == 409
    with pytest.raises(services.Refused):
        services.viewing_end(user=user("hangtianlu"), viewing_id="not-a-uuid")


# --- the nearest cameras: SQL against the rule ---------------------------------------------------------


def expected_nearest(user, point: Point, n: int, purpose: str) -> list[int]:
    """The rule in Python over every camera: may_watch, then by distance."""
    now = timezone.now()
    in_scope = set(scope_for(user).cameras().values_list("pk", flat=True))
    wkt = f"SRID=4326;POINT({point.x} {point.y})"
    rows = Camera.objects.filter(active=True).annotate(
        d=RawSQL('ST_Distance("video_camera"."point", %s::geography, false)', (wkt,))
    )
    consents = {}
    for c in Consent.objects.filter(revoked_at__isnull=True).prefetch_related("centers"):
        consents[c.camera_id] = access.ConsentFacts(
            center_ids=frozenset(x.pk for x in c.centers.all()), purposes=frozenset(c.purposes), expires_at=c.expires_at
        )
    allowed = []
    for cam in rows.only("pk", "network", "status", "owner_id", "owner_kind"):
        if cam.status != CameraStatus.ONLINE:
            continue
        facts = access.CameraFacts(
            network=cam.network, status=cam.status, owner_id=cam.owner_id, household=cam.household
        )
        viewer = access.ViewerFacts(user_id=user.pk, center_id=user.center_id, in_scope=cam.pk in in_scope)
        refusal = access.may_watch(
            camera=facts,
            viewer=viewer,
            purpose=purpose,
            now=now,
            consent=consents.get(cam.pk),
            has_event=True,
            reason="reason",
        )
        if refusal is None:
            allowed.append((cam.d, cam.pk))
    return [pk for _d, pk in sorted(allowed)[:n]]


def test_the_nearest_cameras_in_sql_are_the_rules_on_many_random_cases(user, grant_watch, resident, camera, consent):
    """camera_nearest restates may_watch in SQL (scope + consent inside the KNN scan): on random points
    of the demo district (7,900 cameras, 3,500 consents), for every kind of user and purpose, both
    give the same cameras in the same order."""
    rng = random.Random(13)
    owner = resident()
    camera(network=Network.HUIYAN, owner=owner)
    grant_watch(user("police"))
    users = [user(u) for u in ("duty", "liucheng", "hangtianlu", "gridworker", "police", "admin")] + [owner]
    grids = list(Grid.objects.order_by("code").values_list("pk", flat=True))
    points = [Grid.objects.get(pk=rng.choice(grids)).boundary.point_on_surface for _ in range(6)]
    checked = 0
    for point in points:
        for viewer in users:
            for purpose in ["own"] if viewer == owner else ["alarm", "patrol"]:
                got = [c.pk for c in selectors.camera_nearest(viewer, point, n=10, purpose=purpose)]
                assert got == expected_nearest(viewer, point, 10, purpose), (viewer.username, purpose, point)
                checked += 1
    assert checked == 6 * (6 * 2 + 1)


def test_the_nearest_cameras_come_with_their_distance_and_leave_out_what_one_may_not_watch(
    user, camera, hangtianlu, consent
):
    here = hangtianlu.boundary.point_on_surface
    near = camera(point=Point(here.x + 0.0001, here.y, srid=4326))
    offline = camera(point=here, status=CameraStatus.OFFLINE)
    household = camera(point=here, network=Network.HUIYAN)
    got = selectors.camera_nearest(user("hangtianlu"), here, n=100, purpose="alarm")
    ids = [c.pk for c in got]
    assert near.pk in ids and offline.pk not in ids and household.pk not in ids
    distance = next(c.distance_m for c in got if c.pk == near.pk)
    assert 8 < distance < 11  # 0.0001° of longitude at 30.7° N ≈ 9.6 m
    assert [c.distance_m for c in got] == sorted(c.distance_m for c in got)
    consent(household, [user("hangtianlu").center_id])
    assert household.pk in [c.pk for c in selectors.camera_nearest(user("hangtianlu"), here, n=100, purpose="alarm")]
    assert household.pk not in [
        c.pk for c in selectors.camera_nearest(user("hangtianlu"), here, n=100, purpose="patrol")
    ]


def test_a_revoked_consent_leaves_the_nearest_cameras_at_once(user, camera, resident, hangtianlu):
    here = hangtianlu.boundary.point_on_surface
    owner = resident()
    cam = camera(point=here, network=Network.HUIYAN, owner=owner)
    staff = user("hangtianlu")
    nearest = lambda: [c.pk for c in selectors.camera_nearest(staff, here, n=3, purpose="alarm")]  # noqa: E731
    assert cam.pk not in nearest()
    services.consent_give(user=owner, camera_id=cam.pk, center_ids=[staff.center_id], purposes=["alarm"])
    assert nearest()[0] == cam.pk
    services.consent_revoke(user=owner, camera_id=cam.pk)
    assert cam.pk not in nearest()
    services.consent_give(
        user=owner, camera_id=cam.pk, center_ids=[staff.center_id], purposes=["alarm"],
        expires_at=timezone.now() + timedelta(minutes=1),
    )  # fmt: skip
    assert nearest()[0] == cam.pk
    assert cam.pk not in [
        c.pk
        for c in selectors.camera_nearest(staff, here, n=3, purpose="alarm", now=timezone.now() + timedelta(minutes=2))
    ]


# --- the online rate ---------------------------------------------------------------------------------


def test_the_online_rate_by_network_town_and_community_adds_up(user):
    duty = user("duty")
    by_network = {r.key: r for r in selectors.camera_online_rate(duty, by="network")}
    total = Camera.objects.filter(active=True)
    for network in ("tianwang", "xueliang", "huiyan"):
        assert by_network[network].total == total.filter(network=network).count()
        assert by_network[network].online == total.filter(network=network, status="online").count()
    towns = selectors.camera_online_rate(duty, by="town")
    assert len(towns) == 9 and sum(r.total for r in towns) == total.count()
    shouan = next(r for r in towns if r.name == "寿安镇")
    assert shouan.total >= 1000
    communities = selectors.camera_online_rate(user("liucheng"), by="community")
    assert (
        sum(r.total for r in communities) == total.filter(center__path__startswith=user("liucheng").center.path).count()
    )
    assert all(0 <= r.rate <= 1 for r in towns + communities)


def test_the_demo_has_the_seeds_scale():
    cameras = Camera.objects.all()
    assert 1900 <= cameras.filter(network="tianwang").count() <= 2100
    assert 880 <= cameras.filter(network="xueliang").count() <= 930
    assert 4900 <= cameras.filter(network="huiyan").count() <= 5100
    online = cameras.filter(status="online").count() / cameras.count()
    assert 0.85 <= online <= 0.95
    assert sorted(cameras.exclude(stream="").values_list("stream", flat=True)) == [
        f"demo-{i:02d}" for i in range(1, 25)
    ]
    from grids.models import Center

    shouan = Center.objects.get(name="寿安镇")
    assert cameras.filter(network="huiyan", center__path__startswith=shouan.path).count() >= 1000


# --- walls, tours, groups --------------------------------------------------------------------------------


def test_a_wall_layout_and_a_tour_that_shows_only_what_one_may_watch(user, camera, consent):
    staff = user("hangtianlu")
    cams = [camera() for _ in range(5)]
    household = camera(network=Network.HUIYAN)
    wall = services.wall_create(user=staff, center_id=None, name="主屏")
    layout = services.wall_layout_save(
        user=staff,
        wall_id=wall.pk,
        name="四画面",
        tiles=4,
        slots=[{"position": i, "camera": c.pk} for i, c in enumerate(cams[:4])],
    )
    wall.refresh_from_db()
    assert wall.layout_id == layout.pk and layout.slots.count() == 4
    group = services.group_save(
        user=staff, center_id=None, name="入口", camera_ids=[c.pk for c in cams] + [household.pk]
    )
    tour = services.tour_save(
        user=staff, center_id=None, name="夜巡", tiles=4,
        steps=[{"camera": cams[0].pk, "dwell_seconds": 10}, {"group": group.pk, "dwell_seconds": 20}],
    )  # fmt: skip
    frames = selectors.tour_frames(staff, tour)
    assert [([c.pk for c in f.cameras], f.dwell) for f in frames] == [
        ([cams[0].pk], 10),
        ([c.pk for c in cams[:4]], 20),
        ([cams[4].pk], 20),
    ]  # fmt: skip  (the household camera has no consent for patrol)
    consent(household, [staff.center_id], purposes=["patrol"])
    assert selectors.tour_frames(staff, tour)[-1].cameras[-1].pk == household.pk
    services.wall_show(user=staff, wall_id=wall.pk, tour_id=tour.pk)
    wall.refresh_from_db()
    assert wall.tour_id == tour.pk and wall.layout_id is None and wall.tour_started_at


def test_walls_refuse_bad_layouts_and_cameras_outside_the_area(user, camera, yongning):
    staff = user("hangtianlu")
    wall = services.wall_create(user=staff, center_id=None, name="主屏")
    with pytest.raises(ValidationError):
        services.wall_layout_save(user=staff, wall_id=wall.pk, name="x", tiles=6, slots=[])
    with pytest.raises(ValidationError):
        services.wall_layout_save(
            user=staff, wall_id=wall.pk, name="x", tiles=4, slots=[{"position": 4, "camera": camera().pk}]
        )
    with pytest.raises(ValidationError):
        services.wall_layout_save(
            user=staff, wall_id=wall.pk, name="x", tiles=4, slots=[{"position": 0, "camera": camera(yongning).pk}]
        )
    with pytest.raises(ValidationError):
        services.wall_create(user=staff, center_id=None, name="主屏")
    with pytest.raises(services.NotVisible):
        services.wall_layout_save(user=user("yongning"), wall_id=wall.pk, name="x", tiles=1, slots=[])
    with pytest.raises(PermissionDenied):
        services.wall_create(user=user("gridworker"), center_id=None, name="墙")
    with pytest.raises(ValidationError):
        services.tour_save(
            user=staff, center_id=None, name="t", tiles=4, steps=[{"camera": camera().pk, "dwell_seconds": 2}]
        )
    with pytest.raises(ValidationError):
        services.tour_save(user=staff, center_id=None, name="t", tiles=4, steps=[{"camera": camera().pk, "group": 1}])


# --- registry ----------------------------------------------------------------------------------------


def test_camera_create_parses_the_code_and_places_the_camera(user, hangtianlu):
    point = hangtianlu.boundary.point_on_surface
    cam = services.camera_create(
        actor=user("liucheng"),
        data={
            "code": "51011501001320000777",
            "name": "光华大道口",
            "network": "tianwang",
            "lat": point.y,
            "lng": point.x,
            "codec": "h265",
            "ptz": "1",
        },
    )
    assert (cam.gb_type, cam.gb_network, cam.grid_id, cam.center_id, cam.ptz, cam.needs_transcoding) == (
        "132", "0", hangtianlu.pk, hangtianlu.center_id, True, True
    )  # fmt: skip


def test_camera_create_outside_every_grid_falls_back_to_the_civil_code(user):
    cam = services.camera_create(
        actor=user("duty"),
        data={"code": "51011501001320000778", "name": "远处", "network": "other", "lat": 30.0, "lng": 100.0},
    )
    assert cam.grid_id is None and cam.center.code == "510115001000"


def test_camera_create_reports_every_field_error(user, yongning):
    point = yongning.boundary.point_on_surface
    with pytest.raises(ValidationError) as invalid:
        services.camera_create(
            actor=user("duty"), data={"code": "123", "name": "", "network": "x", "lat": "north", "lng": 1}
        )
    assert set(invalid.value.message_dict) == {"code", "name", "network", "lat"}
    with pytest.raises(ValidationError) as invalid:  # a camera placed outside the user's area
        services.camera_create(
            actor=user("hangtianlu"),
            data={"code": "51011501001320000779", "name": "x", "network": "tianwang", "lat": point.y, "lng": point.x},
        )
    assert "center" in invalid.value.message_dict
    with pytest.raises(ValidationError) as invalid:  # a household camera needs its owner
        services.camera_create(
            actor=user("duty"),
            data={
                "code": "51011501001320000780",
                "name": "x",
                "network": "huiyan",
                "owner_kind": "organisation",
                "lat": point.y,
                "lng": point.x,
            },
        )
    assert "owner_org" in invalid.value.message_dict
    with pytest.raises(ValidationError) as invalid:
        services.camera_create(
            actor=user("duty"),
            data={
                "code": "51011501001320000780",
                "name": "x",
                "network": "huiyan",
                "owner": "hangtianlu",
                "lat": point.y,
                "lng": point.x,
            },
        )
    assert "owner" in invalid.value.message_dict  # a household owner is a resident


def test_camera_update_keeps_what_it_is_not_told(user, camera):
    cam = camera()
    updated = services.camera_update(actor=user("hangtianlu"), camera_id=cam.pk, data={"name": "新名字"})
    assert (updated.name, updated.code, updated.stream, updated.point.x) == (
        "新名字",
        cam.code,
        cam.stream,
        cam.point.x,
    )
    with pytest.raises(services.NotVisible):
        services.camera_update(actor=user("yongning"), camera_id=cam.pk, data={"name": "x"})


# --- hooks (services) -----------------------------------------------------------------------------------


def test_publish_hook_accepts_a_registered_stream_and_sets_it_online(camera, local):
    cam = camera(status=CameraStatus.UNKNOWN)
    assert services.hook_publish(server=local, stream=cam.stream) is True
    assert services.hook_publish(server=local, stream="not-registered") is False
    cam.refresh_from_db()
    assert cam.status == "online"
    services.hook_publish_done(server=local, stream=cam.stream)
    cam.refresh_from_db()
    assert cam.status == "offline"
    local.secret = "s3cret"
    assert services.hook_publish(server=local, stream=cam.stream) is False
    assert services.hook_publish(server=local, stream=cam.stream, key="s3cret") is True


def test_play_tokens_expire_and_belong_to_one_stream(settings):
    viewing = uuid.uuid4().hex
    token = tokens.sign(server="local", stream="demo-01", viewing=viewing, expires=1000)
    assert tokens.check(token, server="local", stream="demo-01", now=999).viewing == viewing
    assert tokens.check(token, server="local", stream="demo-01", now=1000) is None
    assert tokens.check(token, server="other", stream="demo-01", now=999) is None
    assert (
        tokens.check(token[:-1] + ("A" if token[-1] != "A" else "B"), server="local", stream="demo-01", now=999) is None
    )
    settings.VIDEO_TOKEN_KEY = "another key"
    assert tokens.check(token, server="local", stream="demo-01", now=999) is None
