"""Live video through the whole platform, as its users see it: ffmpeg test-pattern cameras → a real
nginx-rtmp (its on_publish hook puts them online in Django; its auth_request asks Django about every
HLS request) → HLS → hls.js in Debian's Chromium, on the platform's own pages served by uvicorn on the
test database.

- the event page lists the nearest cameras and one click plays one (the video's currentTime advances);
- an HLS request without a valid token is refused by nginx itself;
- a 3×3 wall plays all nine tiles; a patrol tour switches the wall by itself;
- a camera taken off the air mid-play is shown offline, and its tile plays again when it returns;
- a household that withdraws its consent on its phone page stops the next play.

Everything runs outside the rolled-back test transaction (other processes read it); what the module
made is removed at its end.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connections

from tests.processes import PASSWORD, end, free_port, platform_env, uvicorn, wait_until

from .conftest import Cameras, media_server, needs_media

pytestmark = needs_media

SLUG = "e2e"
STREAMS = [f"e2e-{n:02d}" for n in range(1, 10)]
HOME_STREAM = "e2e-home"
WAIT_MS = 20_000


def _event_point():
    from grids.models import Grid

    return Grid.objects.get(code="510115001001001").boundary.point_on_surface


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """uvicorn (pages, API, hooks) + nginx-rtmp + ten ffmpeg cameras registered on their own media
    server (`e2e`), an event at the cameras, and a household (resident) with a consenting camera."""
    from accounts.models import Role, User
    from events.models import EventCategory
    from events.services import event_report
    from tests.events.test_engine import _committed_world
    from video import services
    from video.choices import CameraStatus, ServerKind
    from video.domain import gbcode
    from video.models import Camera, MediaServer

    logs = tmp_path_factory.mktemp("video-e2e")
    with django_db_blocker.unblock():
        _committed_world()
        web_port = free_port()
        base = f"http://127.0.0.1:{web_port}"
        media = media_server(auth_url=f"{base}/video/hooks/auth/", hook_base=base)
        hls_url = media.config.hls_url
        server_row = MediaServer.objects.create(
            name="e2e nginx-rtmp",
            slug=SLUG,
            kind=ServerKind.NGINX_RTMP,
            api_url=media.config.stat_url,
            rtmp_url=media.config.rtmp_url,
            hls_url=hls_url,
            hls_dir=str(media.hls_dir),
        )
        media_root = logs / "media"
        saved_media_root, settings.MEDIA_ROOT = settings.MEDIA_ROOT, media_root  # snapshots: the server's files
        env = platform_env(VIDEO_LOCAL_SERVER=SLUG, VIDEO_MEDIA_HLS_URL=hls_url, LIVE_PUSH="off", MEDIA_ROOT=media_root)
        web = uvicorn(web_port, env, logs / "uvicorn.log")
        publishers = resident = event = None
        try:
            media.start()
            admin = User.objects.get(username="admin")
            point = _event_point()
            resident = User.objects.create_user(
                username=f"home-{uuid.uuid4().hex[:6]}", password=PASSWORD, role=Role.RESIDENT, first_name="居民"
            )
            cameras = {}
            for i, stream in enumerate([*STREAMS, HOME_STREAM]):
                household = stream == HOME_STREAM
                data = {
                    "code": gbcode.make(
                        civil="51011500",
                        serial=900100 + i,
                        type="132" if household else "131",
                        network="7" if household else "0",
                    ),
                    "name": f"测试{'慧眼' if household else '雪亮'}{i + 1:02d}",
                    "network": "huiyan" if household else "xueliang",
                    # A metre or two apart, at the event: nearer than any demo camera.
                    "lat": point.y + 0.00001 * (i + 1),
                    "lng": point.x,
                    "media_server": SLUG,
                    "stream": stream,
                    "owner": resident.username if household else None,
                }
                cameras[stream] = services.camera_create(actor=admin, data=data)
            home = cameras[HOME_STREAM]
            services.consent_give(
                user=resident,
                camera_id=home.pk,
                center_ids=list(services.camera_area_centers(home).values_list("pk", flat=True)),
                purposes=["alarm", "patrol"],
            )
            reporter = User.objects.get(username="gridworker")
            event, _created = event_report(
                reporter=reporter,
                category_id=EventCategory.objects.get(code="sa-garbage").pk,
                description="视频测试：路边堆放垃圾",
                lat=point.y,
                lng=point.x,
                client_id=uuid.uuid4(),
                urgent=True,  # an alarm on the dashboards too
            )
            publishers = Cameras(media)
            for stream in [*STREAMS, HOME_STREAM]:
                publishers.start(stream, cameras[stream].name, wait=False)
            for stream in [*STREAMS, HOME_STREAM]:
                publishers.wait_live(stream)
            # The on_publish hook put them online.
            wait_until(
                lambda: Camera.objects.filter(media_server=server_row, status=CameraStatus.ONLINE).count() == 10,
                20,
                what="every camera online through nginx-rtmp's on_publish hook",
            )
            yield {
                "base": base,
                "media": media,
                "publishers": publishers,
                "cameras": cameras,
                "event": event,
                "resident": resident,
                "server": server_row,
            }
        finally:
            if publishers is not None:
                publishers.stop_all()
            media.stop()
            end(web)
            _forget(server_row, resident, event)
            settings.MEDIA_ROOT = saved_media_root
            connections.close_all()


def _forget(server_row, resident, event) -> None:
    from django.db import connection

    from video.models import Camera, CameraStatusChange, Consent, Snapshot, Viewing, Wall

    cameras = Camera.objects.filter(media_server=server_row)
    Snapshot.objects.filter(camera__in=cameras).delete()
    Viewing.objects.filter(camera__in=cameras).delete()
    Consent.objects.filter(camera__in=cameras).delete()
    CameraStatusChange.objects.filter(camera__in=cameras).delete()
    Wall.objects.filter(name__startswith="e2e").delete()
    from video.models import Tour

    Tour.objects.filter(name__startswith="e2e").delete()
    cameras.delete()
    server_row.delete()
    if resident is not None:
        resident.delete()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_event CASCADE")


def sign_in(chromium, base: str, username: str, **context):
    page = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def advancing(page, selector: str, timeout: float = WAIT_MS) -> None:
    """Until the <video> in `selector` has played on by a second."""
    start = page.eval_on_selector(selector, "el => el.currentTime")
    page.wait_for_function(
        "([sel, t0]) => { const v = document.querySelector(sel); return v && v.currentTime > t0 + 1; }",
        arg=[selector, start],
        timeout=timeout,
        polling=200,
    )


def test_the_event_page_plays_the_nearest_camera_in_one_click(stack, chromium, capsys):
    from video.models import Snapshot, Viewing

    # The community center holding the event (it may add photos to the event's timeline).
    page = sign_in(chromium, stack["base"], "hangtianlu", viewport={"width": 1440, "height": 900})
    page.goto(f"{stack['base']}/events/{stack['event'].pk}/")
    first = page.locator("#event-cameras .camera-play").first
    first.wait_for(timeout=WAIT_MS)
    names = page.locator("#event-cameras .camera-name").all_inner_texts()
    assert names[0] == "测试雪亮01", names  # nearest first
    assert "慧眼" in "".join(names)  # the household camera: consent for the district and alarms
    clicked = time.monotonic()
    first.click()
    page.wait_for_selector("#event-player[data-state='playing']", timeout=WAIT_MS)
    first_frame = time.monotonic() - clicked
    advancing(page, "#event-player video")
    with capsys.disabled():
        print(f"\nevent page: first frame {first_frame:.2f} s after the click")
    viewing = Viewing.objects.filter(camera=stack["cameras"]["e2e-01"]).latest("started_at")
    assert (viewing.purpose, viewing.event_id, viewing.user.username) == ("alarm", stack["event"].pk, "hangtianlu")

    # A frame of it into the event's timeline: the page reloads with the step and its photo.
    with page.expect_navigation(timeout=30_000):
        page.click("#event-player-tools [data-snapshot]")
    snapshot = Snapshot.objects.get(camera=stack["cameras"]["e2e-01"], event=stack["event"])
    assert snapshot.image.read(2) == b"\xff\xd8"  # a JPEG
    assert snapshot.action.event_id == stack["event"].pk
    assert "测试雪亮01" in page.inner_text(".detail-timeline")
    page.context.close()


def test_the_dashboards_alarm_plays_a_camera_at_the_event(stack, chromium):
    page = sign_in(chromium, stack["base"], "hangtianlu", viewport={"width": 1440, "height": 900})
    page.goto(f"{stack['base']}/dashboard/")
    button = page.locator(f"#alarms li[data-event-id='{stack['event'].pk}'] .alarm-video")
    button.wait_for(timeout=WAIT_MS)
    button.click()
    page.wait_for_selector("#alarm-video[open] .camera-play", timeout=WAIT_MS)
    assert page.locator("#alarm-video .camera-name").first.inner_text() == "测试雪亮01"
    page.locator("#alarm-video .camera-play").first.click()
    page.wait_for_selector("#alarm-video .vtile[data-state='playing']", timeout=WAIT_MS)
    advancing(page, "#alarm-video video")
    page.context.close()


def test_an_hls_request_without_a_valid_token_is_refused_by_nginx(stack):
    from accounts.models import User
    from video import services

    hls = stack["media"].config.hls_url

    def status(url: str) -> int:
        try:
            return urllib.request.urlopen(url, timeout=5).status
        except urllib.error.HTTPError as exc:
            return exc.code

    forged = f"{'a' * 32}.zzzzzz.{'b' * 32}"
    assert status(f"{hls}/{forged}/e2e-02/index.m3u8") == 403
    assert status(f"{hls}/not-a-token/e2e-02/index.m3u8") == 403
    assert status(f"{hls}/{forged}/e2e-02/0.ts") == 403
    play = services.camera_play(
        user=User.objects.get(username="duty"), camera_id=stack["cameras"]["e2e-02"].pk, purpose="patrol"
    )
    assert status(play.url) == 200
    # The token is for its stream only.
    assert status(play.url.replace("/e2e-02/", "/e2e-03/")) == 403


def test_a_3x3_wall_plays_all_nine_tiles(stack, chromium):
    from accounts.models import User
    from video import services

    duty = User.objects.get(username="duty")
    wall = services.wall_create(user=duty, center_id=duty.center_id, name="e2e 九宫格")
    slots = [{"position": i, "camera": stack["cameras"][s].pk} for i, s in enumerate(STREAMS)]
    services.wall_layout_save(user=duty, wall_id=wall.pk, name="e2e 3×3", tiles=9, slots=slots)
    page = sign_in(chromium, stack["base"], "duty", viewport={"width": 1440, "height": 900})
    page.goto(f"{stack['base']}/video/wall/?wall={wall.pk}")
    page.wait_for_function(
        "() => document.querySelectorAll('#vwall .wall-tile[data-state=playing]').length === 9",
        timeout=30_000,
        polling=250,
    )
    times = page.eval_on_selector_all("#vwall video", "vs => vs.map(v => v.currentTime)")
    page.wait_for_function(
        "t0 => Array.from(document.querySelectorAll('#vwall video')).every((v, i) => v.currentTime > t0[i] + 1)",
        arg=times,
        timeout=WAIT_MS,
        polling=250,
    )
    page.context.close()


def test_a_patrol_tour_switches_the_big_screen_by_itself(stack, chromium):
    from accounts.models import User
    from video import services

    duty = User.objects.get(username="duty")
    wall = services.wall_create(user=duty, center_id=duty.center_id, name="e2e 大屏")
    a, b = stack["cameras"]["e2e-04"], stack["cameras"]["e2e-05"]
    tour = services.tour_save(
        user=duty,
        center_id=duty.center_id,
        name="e2e 巡屏",
        tiles=1,
        steps=[{"camera": a.pk, "dwell_seconds": 5}, {"camera": b.pk, "dwell_seconds": 5}],
    )
    services.wall_show(user=duty, wall_id=wall.pk, tour_id=tour.pk)
    page = sign_in(chromium, stack["base"], "duty", viewport={"width": 1440, "height": 900})
    page.goto(f"{stack['base']}/video/wall/?wall={wall.pk}&screen=1")
    assert page.locator(".topbar").count() == 0  # the big screen has no chrome
    tile = "#vwall .wall-tile"
    page.wait_for_selector(f"{tile}[data-state='playing']", timeout=WAIT_MS)
    seen = {page.get_attribute(tile, "data-camera")}
    # Within one dwell (5 s) and a start, the tile shows the other camera, and plays it.
    page.wait_for_function(
        "([sel, was]) => { const t = document.querySelector(sel);"
        " return t.dataset.camera !== was && t.dataset.state === 'playing'; }",
        arg=[tile, next(iter(seen))],
        timeout=WAIT_MS,
        polling=200,
    )
    seen.add(page.get_attribute(tile, "data-camera"))
    assert seen == {str(a.pk), str(b.pk)}
    advancing(page, f"{tile} video")
    page.context.close()


def test_a_camera_off_the_air_is_shown_offline_and_its_tile_recovers(stack, chromium):
    from accounts.models import User
    from video import services
    from video.choices import CameraStatus

    duty = User.objects.get(username="duty")
    wall = services.wall_create(user=duty, center_id=duty.center_id, name="e2e 断线")
    camera = stack["cameras"]["e2e-06"]
    services.wall_layout_save(
        user=duty, wall_id=wall.pk, name="e2e 1", tiles=1, slots=[{"position": 0, "camera": camera.pk}]
    )
    page = sign_in(chromium, stack["base"], "duty", viewport={"width": 1440, "height": 900})
    page.goto(f"{stack['base']}/video/wall/?wall={wall.pk}")
    tile = "#vwall .wall-tile"
    page.wait_for_selector(f"{tile}[data-state='playing']", timeout=WAIT_MS)
    advancing(page, f"{tile} video")

    stack["publishers"].stop("e2e-06")
    page.wait_for_selector(f"{tile}[data-state='offline']", timeout=30_000)
    assert page.inner_text(f"{tile} .vp-overlay").strip()
    camera.refresh_from_db()
    assert camera.status == CameraStatus.OFFLINE  # nginx-rtmp's on_publish_done told Django

    stack["publishers"].start("e2e-06", camera.name)
    page.wait_for_selector(f"{tile}[data-state='playing']", timeout=30_000)
    advancing(page, f"{tile} video")
    page.context.close()


def test_a_household_withdrawing_consent_stops_the_next_play(stack, chromium):
    base, resident = stack["base"], stack["resident"]
    home = stack["cameras"][HOME_STREAM]
    officer = sign_in(chromium, base, "duty", viewport={"width": 1440, "height": 900})
    officer.goto(f"{base}/events/{stack['event'].pk}/")
    button = officer.locator(f"#event-cameras .camera-play[data-camera='{home.pk}']")
    button.wait_for(timeout=WAIT_MS)
    button.click()
    # A household camera: the purpose is asked first (alarm response for this event).
    officer.wait_for_selector("#purpose-dialog[open]", timeout=5_000)
    officer.click("#purpose-dialog button[value=watch]")
    officer.wait_for_selector("#event-player[data-state='playing']", timeout=WAIT_MS)

    # The household, on its phone, sees who watched, and withdraws its consent.
    phone = sign_in(chromium, base, resident.username, viewport={"width": 375, "height": 740}, is_mobile=True)
    assert phone.url.endswith("/video/mine/")
    assert "王值班" in phone.inner_text(".viewing-list") or "值班" in phone.inner_text(".viewing-list")
    phone.click(f".my-camera[data-camera='{home.pk}'] .revoke-form button")
    phone.wait_for_selector(f".my-camera[data-camera='{home.pk}'] .consent-state:not(.consent-on)")

    # The officer's next play is refused, with the reason.
    officer.click("#event-player-tools [data-stop]")
    button.click()
    officer.wait_for_selector("#purpose-dialog[open]", timeout=5_000)
    officer.click("#purpose-dialog button[value=watch]")
    officer.wait_for_selector("#event-player[data-state='refused']", timeout=WAIT_MS)
    reason = officer.inner_text("#event-player .vp-overlay")
    assert "同意" in reason, reason  # the platform says why
    officer.context.close()
    phone.context.close()
