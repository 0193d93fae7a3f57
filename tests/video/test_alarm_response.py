"""The video app's answer to an event an alarm made: the nearest cameras its holding center may watch
noted on the timeline, a snapshot of the nearest live one attached, exactly once per event; with a
real nginx-rtmp and an ffmpeg test pattern, the snapshot is a real frame."""

from __future__ import annotations

import io
import math
import uuid
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from accounts.models import User
from accounts.scope import scope_for
from alarms import services as alarm_services
from alarms.models import Source
from events import services as event_services
from events.choices import Action, State
from events.choices import Source as EventSource
from events.models import Event, EventAction
from video import services
from video.adapters import AdapterError
from video.adapters.nginx_rtmp import NginxRtmpAdapter
from video.choices import CameraStatus, Network
from video.models import AlarmResponse, Camera, Snapshot, Viewing
from video.tasks import alarm_response_task

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 180), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def response_settings(settings):
    settings.VIDEO_ALARM_CAMERAS = 5
    settings.VIDEO_ALARM_RADIUS_M = 500


@pytest.fixture
def grabs(monkeypatch):
    """The local media server's frame grab answers a JPEG, except for the streams in `failing` (the grab
    itself runs against a real nginx-rtmp in the last test). Records the streams asked for."""
    asked: list[str] = []
    failing: set[str] = set()
    frame = jpeg()

    def snapshot(self, stream, token=""):
        asked.append(stream)
        if stream in failing:
            raise AdapterError("ffmpeg could not grab a frame")
        return frame

    monkeypatch.setattr(NginxRtmpAdapter, "snapshot", snapshot)
    return asked, failing


@pytest.fixture
def alarm_event(db, hangtianlu):
    """An event made as an alarm makes one: reported by the demo face-gate source's system account, in
    航天路社区, with every other camera of the demo offline (so the nearest are the test's own)."""
    Camera.objects.update(status=CameraStatus.OFFLINE)

    def make() -> Event:
        source = Source.objects.get(code="safe-compound")
        if source.account_id is None:
            alarm_services.source_save(source=source)
            source.refresh_from_db()
        point = hangtianlu.boundary.point_on_surface
        event, _created = event_services.event_report_system(
            reporter=source.account,
            category_id=source.types.order_by("pk").first().category_id,
            description="重点人员告警：东门",
            lat=point.y,
            lng=point.x,
            client_id=uuid.uuid4(),
            source=EventSource.IOT,
        )
        assert event.center_id == hangtianlu.center_id
        return event

    return make


def north(point: Point, metres: float) -> Point:
    """`point` moved `metres` to the north."""
    return Point(point.x, point.y + metres / 111_195, srid=4326)


def east(point: Point, metres: float) -> Point:
    return Point(point.x + metres / (111_195 * math.cos(math.radians(point.y))), point.y, srid=4326)


def video_notes(event: Event) -> list[EventAction]:
    return list(EventAction.objects.filter(event=event, action=Action.REPORT, data__video=True))


def attach_steps(event: Event) -> list[EventAction]:
    return list(EventAction.objects.filter(event=event, action=Action.ATTACH))


def test_the_nearest_cameras_the_center_may_watch_are_noted_and_the_nearest_is_snapshot(
    alarm_event, camera, consent, resident, yongning, grabs
):
    event = alarm_event()
    here = event.location
    near = camera(point=north(here, 5))
    home = camera(network=Network.HUIYAN, owner=resident("home-consents"), point=east(here, 10))
    consent(home, [event.center])  # the household allows this center to watch for an alarm response
    farther = camera(point=north(here, 20))
    # Nearer than those, but not this center's to watch now: offline, another town's, a household
    # without consent, one whose consent is for patrols only; and one beyond the radius.
    camera(point=north(here, 1), status=CameraStatus.OFFLINE)
    camera(yongning, point=east(here, 2))
    camera(network=Network.HUIYAN, owner=resident("home-private"), point=north(here, 3))
    patrol_only = camera(network=Network.HUIYAN, owner=resident("home-patrol"), point=east(here, 4))
    consent(patrol_only, [event.center], purposes=("patrol",))
    camera(point=north(here, 800))

    response = alarm_response_task.apply(args=[event.pk]).get() or AlarmResponse.objects.get(event=event)

    assert [c["id"] for c in response.cameras] == [near.pk, home.pk, farther.pk]
    assert [c["distance_m"] for c in response.cameras] == [5, 10, 20]
    assert response.problem == "" and response.snapshot.camera_id == near.pk
    (note,) = video_notes(event)
    assert response.note_id == note.pk
    for cam in (near, home, farther):
        assert cam.name in note.reason
    assert note.reason == (
        f"附近摄像头：{near.name}（5 米）、{home.name}（10 米）、{farther.name}（20 米）。已附上{near.name}的截图。"
    )
    assert note.data["cameras"] == response.cameras and note.data["snapshot"] == response.snapshot_id
    account = services.alarm_account()
    assert (note.actor_id, note.actor_center_id, note.from_state, note.to_state) == (
        account.pk,
        event.center_id,
        State.REPORTED,
        State.REPORTED,
    )
    (step,) = attach_steps(event)
    assert step.attachments.count() == 1 and step.actor_id == account.pk
    assert near.name in step.reason
    snapshot = Snapshot.objects.get(event=event)
    assert (snapshot.camera_id, snapshot.action_id, snapshot.taken_by_id) == (near.pk, step.pk, account.pk)
    assert snapshot.image.read(2) == b"\xff\xd8"
    # The grab was a viewing of the account for the event's center, for an alarm response, and ended.
    viewing = Viewing.objects.get(event=event)
    assert (viewing.user_id, viewing.center_id, viewing.camera_id, viewing.purpose) == (
        account.pk,
        event.center_id,
        near.pk,
        "alarm",
    )
    assert viewing.ended_at is not None
    assert grabs[0] == [near.stream]
    event.refresh_from_db()
    assert event.state == State.REPORTED  # the response adds steps, it changes nothing else
    assert note.created_at <= step.created_at  # the note first, then its snapshot


def test_a_repeated_task_adds_nothing(alarm_event, camera, grabs):
    event = alarm_event()
    camera(point=north(event.location, 5))
    first = services.alarm_response_make(event_id=event.pk)
    assert first is not None
    alarm_response_task.apply(args=[event.pk])  # a retry, a redelivery
    assert services.alarm_response_make(event_id=event.pk) is None
    assert len(video_notes(event)) == 1 and len(attach_steps(event)) == 1
    assert Snapshot.objects.filter(event=event).count() == 1 and Viewing.objects.filter(event=event).count() == 1
    assert len(grabs[0]) == 1
    assert AlarmResponse.objects.filter(event=event).count() == 1


def test_a_camera_giving_no_frame_passes_to_the_next(alarm_event, camera, grabs):
    asked, failing = grabs
    event = alarm_event()
    dead, live = camera(point=north(event.location, 5)), camera(point=north(event.location, 30))
    failing.add(dead.stream)
    response = services.alarm_response_make(event_id=event.pk)
    assert asked == [dead.stream, live.stream]
    assert response.snapshot.camera_id == live.pk and response.problem == ""
    assert f"已附上{live.name}的截图" in video_notes(event)[0].reason
    # The failed grab went with its savepoint (no frame was seen); the one that gave the frame is audited.
    assert list(Viewing.objects.filter(event=event).values_list("camera_id", flat=True)) == [live.pk]


def test_no_frame_from_any_camera_is_noted_and_harms_nothing(alarm_event, camera, grabs):
    asked, failing = grabs
    event = alarm_event()
    cams = [camera(point=north(event.location, m)) for m in (5, 30)]
    failing.update(c.stream for c in cams)
    response = services.alarm_response_make(event_id=event.pk)
    assert asked == [c.stream for c in cams]  # each tried once, nearest first
    assert response.problem == "no_frame" and response.snapshot is None
    (note,) = video_notes(event)
    assert note.reason.endswith("未能截图：这些摄像头都没有取到画面。")
    assert not attach_steps(event) and not Snapshot.objects.filter(event=event).exists()
    event.refresh_from_db()
    assert event.state == State.REPORTED


def test_no_camera_nearby_is_noted(alarm_event, camera, grabs):
    event = alarm_event()
    camera(point=north(event.location, 900))  # beyond the radius
    response = services.alarm_response_make(event_id=event.pk)
    assert response.problem == "no_camera" and response.cameras == []
    (note,) = video_notes(event)
    assert note.reason == "500 米内没有本中心可调看的在线摄像头，未截图。"
    assert not attach_steps(event) and grabs[0] == []


def test_an_event_already_final_gets_no_steps(alarm_event, camera, user, grabs):
    event = alarm_event()
    camera(point=north(event.location, 5))
    event_services.event_transition(event_id=event.pk, action="reject", actor=user("hangtianlu"), reason="误报")
    response = services.alarm_response_make(event_id=event.pk)
    assert response.problem == "final"
    assert not video_notes(event) and not attach_steps(event) and grabs[0] == []


def test_a_missing_event_is_ignored(db):
    assert services.alarm_response_make(event_id=2**62) is None


def test_the_response_account_never_signs_in(db):
    account = services.alarm_account()
    assert account.pk == services.alarm_account().pk  # one account
    assert not account.is_active and not account.has_usable_password()
    assert scope_for(account).cameras().count() == 0 and scope_for(account).events().count() == 0
    assert User.objects.get(pk=account.pk).center_id is None  # it stands at a center in memory only


def test_the_off_switch_queues_nothing(settings, monkeypatch):
    from alarms.models import AlarmCluster
    from alarms.signals import alarm_event_made

    queued = []
    monkeypatch.setattr(alarm_response_task, "delay", lambda *args: queued.append(args))
    settings.VIDEO_ALARM_CAMERAS = 0
    alarm_event_made.send_robust(sender=AlarmCluster, event_id=7, device_id=1, cluster_id=1, location=Point(0, 0))
    assert queued == []
    settings.VIDEO_ALARM_CAMERAS = 3
    alarm_event_made.send_robust(sender=AlarmCluster, event_id=7, device_id=1, cluster_id=1, location=Point(0, 0))
    assert queued == [(7,)]


# --- a real frame: nginx-rtmp (Debian's nginx with libnginx-mod-rtmp) and an ffmpeg test pattern ----------


def _media_installed() -> bool:
    from video.runtime.nginx import NGINX, RTMP_MODULE
    from video.runtime.streams import FFMPEG

    return Path(NGINX).exists() and Path(RTMP_MODULE).exists() and Path(FFMPEG).exists()


@pytest.fixture
def live_stream(local):
    """A real nginx-rtmp on free ports (no hooks: the token check is test_nginx_token's subject) with one
    ffmpeg test pattern publishing; the demo's local media server row points at it."""
    import time

    from tests.processes import free_port
    from video.runtime.nginx import MediaServer, MediaServerConfig
    from video.runtime.streams import Publisher, TestPattern

    server = MediaServer(MediaServerConfig(rtmp_port=free_port(), http_port=free_port())).start()
    publisher = None
    try:
        stream = "alarm-test"
        publisher = Publisher(
            TestPattern(stream, stream, width=160, height=90, fps=10, bitrate_k=80),
            server.config.rtmp_url,
            server.run_dir,
        ).start()
        playlist, deadline = server.playlist(stream), time.monotonic() + 20
        while not (playlist.exists() and playlist.read_text().count(".ts") >= 2):
            assert publisher.running, publisher.errors()
            assert time.monotonic() < deadline, f"no HLS in 20 s:\n{server.error_log()}"
            time.sleep(0.1)
        local.hls_url, local.hls_dir = server.config.hls_url, str(server.hls_dir)
        local.save(update_fields=["hls_url", "hls_dir"])
        yield stream
    finally:
        if publisher is not None:
            publisher.stop()
        server.stop()


@pytest.mark.skipif(not _media_installed(), reason="nginx-light, libnginx-mod-rtmp and ffmpeg are needed")
def test_a_real_stream_gives_the_snapshot_attached_to_the_event(alarm_event, camera, live_stream):
    event = alarm_event()
    camera(point=north(event.location, 3), stream=False)  # nearest, but not streamed: the next one is taken
    streamed = camera(point=north(event.location, 8))
    Camera.objects.filter(pk=streamed.pk).update(stream=live_stream)
    alarm_response_task.apply(args=[event.pk])
    response = AlarmResponse.objects.get(event=event)
    assert response.problem == "" and response.snapshot.camera_id == streamed.pk
    (step,) = attach_steps(event)
    attachment = step.attachments.get()
    from PIL import Image

    with attachment.image.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    assert image.size == (160, 90)  # the test pattern's frame, re-encoded by the events app
    assert response.snapshot.image.read(2) == b"\xff\xd8"
    assert len(video_notes(event)) == 1


def test_the_admin_lists_the_responses_read_only(alarm_event, camera, grabs, client, user):
    event = alarm_event()
    camera(point=north(event.location, 5))
    services.alarm_response_make(event_id=event.pk)
    client.force_login(user("admin"))
    listing = client.get("/admin/video/alarmresponse/")
    assert listing.status_code == 200 and event.number in listing.content.decode()
    assert client.get(f"/admin/video/alarmresponse/{event.pk}/change/").status_code == 200
    assert client.get("/admin/video/alarmresponse/add/").status_code == 403
