"""The dashboard's realtime client (static/js/dashboard.js) in the system Chromium, against a scripted
server: the page as Django renders it, a snapshot the test writes, and a WebSocket the test speaks for
(Playwright's route_web_socket). What is checked is the contract of DESIGN.md "Live dashboards":
snapshot after hello, pushes numbered above the snapshot applied once and in order, a gap that does not
fill reloads the snapshot, a reconnect resynchronises, everything kept is capped.

No live server: every response is prepared before the browser starts, so no database call happens
inside Playwright's event loop."""

import json
import os
import threading
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
ORIGIN = "http://dashboard.test"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium (apt-get install chromium)"),
]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


def item(
    event_id, *, light="green", urgent=False, urgent_requested=False, open=True, action="accept", state="accepted"
):
    return {
        "id": event_id,
        "number": f"20261127-{event_id:06d}",
        "category": "垃圾乱堆乱放",
        "category_id": 1,
        "excerpt": f"事件{event_id}的描述",
        "address": "",
        "place": "航天路社区第1网格",
        "center_id": 11,
        "center": "航天路社区",
        "origin_center_id": 11,
        "level": "community",
        "urgent": urgent,
        "urgent_requested": urgent_requested,
        "light": light,
        "state": state,
        "open": open,
        "supervision": "none",
        "escalations": 0,
        "action": action,
        "lat": 30.70 + event_id % 50 / 1000,
        "lng": 103.83,
        "reported_at": "2026-11-27T01:00:00+00:00",
        "updated_at": "2026-11-27T01:00:00+00:00",
        "url": f"/events/{event_id}/",
    }


def figures(reported):
    return {
        "reported": reported,
        "open": 5,
        "overdue": 1,
        "closed": 3,
        "closure_rate": 0.75,
        "on_time_rate": 0.5,
        "escalations": 2,
    }


def snapshot(seq, *, feed=(), alarms=(), open_events=(), reported=52):
    return {
        "seq": seq,
        "stream": "center.1",
        "center": {"id": 1, "name": "温江区", "level": "district"},
        "generated_at": "2026-11-27T05:00:00+00:00",
        "counts": {
            "date": "2026-11-27",
            "today": figures(reported),
            "year": figures(reported * 100),
            "child_level": "town",
            "by_child": [{"id": 2, "name": "柳城街道", **figures(7)}, {"id": 3, "name": "公平街道", **figures(9)}],
        },
        "feed": list(feed),
        "open_events": list(open_events),
        "alarms": list(alarms),
        "labels": {
            "state": {"accepted": "已受理"},
            "light": {"green": "绿灯"},
            "action": {},
            "level": {},
            "supervision": {},
        },
    }


class Server:
    """The scripted server: `snapshots` is the queue of snapshots to answer (the last one repeats),
    `sockets` the WebSocket connections the page opened."""

    def __init__(self, page_html: str, jsi18n: str) -> None:
        self.page_html = page_html
        self.jsi18n = jsi18n
        self.snapshots: list[dict] = []
        self.served = 0
        self.on_snapshot = None  # called before a snapshot is answered (to push meanwhile)
        self.sockets: list = []
        self.sent_by_page: list[str] = []
        self.lock = threading.Lock()

    def route(self, route):
        url = route.request.url.removeprefix(ORIGIN)
        path = url.split("?")[0]
        if path in ("/dashboard/", "/dashboard/wall/"):
            return route.fulfill(body=self.page_html, content_type="text/html; charset=utf-8")
        if path == "/jsi18n/":
            return route.fulfill(body=self.jsi18n, content_type="text/javascript")
        if path.startswith("/static/"):
            file = Path(settings.STATICFILES_DIRS[0]) / path.removeprefix("/static/")
            if file.is_file():
                return route.fulfill(body=file.read_bytes(), content_type=CONTENT_TYPES.get(file.suffix, "text/plain"))
            return route.fulfill(status=404)
        if path == "/api/dashboard/snapshot/":
            if self.on_snapshot:
                self.on_snapshot()
            body = self.snapshots[min(self.served, len(self.snapshots) - 1)]
            self.served += 1
            return route.fulfill(body=json.dumps(body), content_type="application/json")
        if path in ("/api/grids/", "/api/centers/geojson/"):
            return route.fulfill(body='{"type": "FeatureCollection", "features": [], "next": null}')
        return route.fulfill(status=404, body="{}")

    def socket(self, ws):
        ws.on_message(lambda message: self.sent_by_page.append(message))
        self.sockets.append(ws)

    def push(self, type_, seq, data):
        self.sockets[-1].send(json.dumps({"type": type_, "seq": seq, "data": data}))


@pytest.fixture
def dashboard(client, demo_user):
    """Opens the dashboard page in Chromium against a scripted `Server`; yields (page, server)."""
    from playwright.sync_api import sync_playwright

    client.force_login(demo_user("duty"))
    page_html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    jsi18n = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    server = Server(page_html, jsi18n)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.route("**/*", server.route)
        page.route_web_socket("**/ws/dashboard/**", server.socket)

        def open_page(*snapshots):
            server.snapshots = list(snapshots)
            page.goto(ORIGIN + "/dashboard/")
            page.wait_for_function("() => window.dashboard !== undefined")
            page.wait_for_function("() => window.dashboard && document.querySelector('[data-live-state]')")
            wait_for(page, lambda: len(server.sockets) >= 1)

        page.open = open_page
        yield page, server
        context.close()
        browser.close()


def wait_for(page, condition, timeout_ms=10000):
    """Waits (without a timed assertion) until `condition()` holds, letting the page run meanwhile."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met")


def js(page, expression):
    return page.evaluate(f"() => {expression}")


def ping_pong(page, server):
    """Returns once the page has handled everything pushed before (messages are handled in order)."""
    before = len(server.sent_by_page)
    server.sockets[-1].send(json.dumps({"type": "ping"}))
    wait_for(page, lambda: any(json.loads(m).get("type") == "pong" for m in server.sent_by_page[before:]))


def go_live(page, server, seq):
    server.push("hello", seq, {"center_id": 1, "stream": "center.1"})
    page.wait_for_function("() => window.dashboard.state === 'live'")


def test_the_snapshot_then_numbered_pushes(dashboard):
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1), item(2)], open_events=[item(1), item(2)]))
    go_live(page, server, 10)
    assert js(page, "window.dashboard.lastSeq") == 10
    assert js(page, "window.dashboard.feedIds()") == [1, 2]
    assert page.inner_text("#tile-today-reported .stat-n") == "52"
    assert page.inner_text("#tile-year-closure_rate .stat-n") == "75.0%"
    assert page.get_attribute("[data-live-state]", "data-live-state") == "live"

    # the next number: applied at once, as an upsert (a new event goes to the top of the feed)
    server.push("event", 11, item(3, action="report", urgent=True))
    page.wait_for_function("() => window.dashboard.lastSeq === 11")
    assert js(page, "window.dashboard.feedIds()") == [3, 1, 2]
    assert js(page, "window.dashboard.alarmIds()") == [3]
    assert 3 in js(page, "window.dashboard.markerIds()")
    assert page.locator('#feed li[data-event-id="3"]').count() == 1
    assert page.locator('#alarms li[data-event-id="3"].unacked').count() == 1

    # already applied or in the snapshot: dropped, not held as if a gap were to fill
    server.push("event", 11, item(99))
    server.push("event", 7, item(98))
    ping_pong(page, server)
    assert js(page, "window.dashboard.held()") == 0
    # out of order within the wait: held, then both applied in order
    server.push("event", 13, item(2, light="red"))
    server.push("event", 12, item(1, open=False, state="closed", action="verify_pass"))
    page.wait_for_function("() => window.dashboard.lastSeq === 13")
    assert js(page, "window.dashboard.feedIds()") == [2, 1, 3]
    assert 99 not in js(page, "window.dashboard.feedIds()") and 98 not in js(page, "window.dashboard.feedIds()")
    assert 1 not in js(page, "window.dashboard.markerIds()")  # closed: off the map
    assert sorted(js(page, "window.dashboard.alarmIds()")) == [2, 3]  # red now
    assert server.served == 1

    # closing an alarm's event takes it off the alarms
    server.push("event", 14, item(3, open=False, state="closed", action="verify_pass"))
    page.wait_for_function("() => window.dashboard.lastSeq === 14")
    assert js(page, "window.dashboard.alarmIds()") == [2]


def test_a_volunteers_request_for_urgency_is_marked_but_raises_no_alarm(dashboard):
    page, server = dashboard
    page.open(snapshot(10))
    go_live(page, server, 10)
    server.push("event", 11, item(5, action="report", urgent_requested=True))
    page.wait_for_function("() => window.dashboard.lastSeq === 11")
    row = page.locator('#feed li[data-event-id="5"]')
    assert row.locator(".pill-urgent-requested").inner_text() == "请求加急"
    assert row.locator(".pill-urgent").count() == 0
    assert 5 in js(page, "window.dashboard.markerIds()")
    assert js(page, "window.dashboard.alarmIds()") == []  # no alarm, so no sound

    # confirmed on accept: the request's mark goes, the alarm comes
    server.push("event", 12, item(5, urgent=True))
    page.wait_for_function("() => window.dashboard.lastSeq === 12")
    assert row.locator(".pill-urgent-requested").count() == 0 and row.locator(".pill-urgent").count() == 1
    assert js(page, "window.dashboard.alarmIds()") == [5]


def test_a_gap_that_does_not_fill_reloads_the_snapshot(dashboard):
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1)]), snapshot(20, feed=[item(5), item(1)]))
    go_live(page, server, 10)
    server.push("event", 12, item(4))  # 11 never comes
    page.wait_for_function("() => window.dashboard.snapshots === 2 && window.dashboard.lastSeq === 20")
    assert js(page, "window.dashboard.feedIds()") == [5, 1]
    assert server.served == 2
    server.push("event", 21, item(6))
    page.wait_for_function("() => window.dashboard.lastSeq === 21")
    assert js(page, "window.dashboard.feedIds()") == [6, 5, 1]


def test_pushes_during_the_snapshot_load_are_kept_and_sorted_out(dashboard):
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1)]))

    def meanwhile():  # while the snapshot is being read: one push it contains, one after it
        server.push("event", 10, item(50))
        server.push("event", 11, item(51))

    server.on_snapshot = meanwhile
    go_live(page, server, 10)
    page.wait_for_function("() => window.dashboard.lastSeq === 11")
    assert js(page, "window.dashboard.feedIds()") == [51, 1]


def test_counts_apply_unless_older(dashboard):
    page, server = dashboard
    page.open(snapshot(10))
    go_live(page, server, 10)
    counts = snapshot(0, reported=60)["counts"]
    server.push("counts", 12, counts)
    page.wait_for_function("() => window.dashboard.counts.today.reported === 60")
    assert page.inner_text("#tile-today-reported .stat-n") == "60"
    server.push("counts", 11, snapshot(0, reported=1)["counts"])  # older than what is shown
    server.push("counts", 12, snapshot(0, reported=61)["counts"])  # no gap check: same number applies
    page.wait_for_function("() => window.dashboard.counts.today.reported === 61")


def test_reconnects_and_resynchronises(dashboard):
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1)]), snapshot(30, feed=[item(7), item(1)]))
    go_live(page, server, 10)
    server.sockets[-1].close(code=1012, reason="restart")
    page.wait_for_function("() => window.dashboard.state === 'reconnecting'")
    wait_for(page, lambda: len(server.sockets) == 2)  # after the backoff
    go_live(page, server, 30)
    page.wait_for_function("() => window.dashboard.lastSeq === 30")
    assert js(page, "window.dashboard.feedIds()") == [7, 1]


def test_the_server_can_ask_for_a_resync(dashboard):
    page, server = dashboard
    page.open(snapshot(10), snapshot(40, feed=[item(8)]))
    go_live(page, server, 10)
    server.push("resync", None, {"reason": "layer restarted"})
    page.wait_for_function("() => window.dashboard.lastSeq === 40")
    assert js(page, "window.dashboard.feedIds()") == [8]


def test_the_snapshot_shows_even_without_a_socket(dashboard):
    """The ASGI server down: the page shows the snapshot and says it is reconnecting."""
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1)]))
    server.sockets[-1].close(code=1006)
    page.wait_for_function("() => window.dashboard.snapshots === 1")
    assert js(page, "window.dashboard.feedIds()") == [1]
    assert js(page, "window.dashboard.state") == "reconnecting"


def test_what_the_page_keeps_is_capped(dashboard):
    page, server = dashboard
    page.open(snapshot(0))
    go_live(page, server, 0)
    for n in range(1, 121):
        server.push("event", n, item(1000 + n, urgent=True))
    page.wait_for_function("() => window.dashboard.lastSeq === 120")
    assert page.locator("#feed li[data-event-id]").count() == 50
    assert js(page, "window.dashboard.feedIds()[0]") == 1120
    assert len(js(page, "window.dashboard.alarmIds()")) == 100
    assert page.locator("#alarms li[data-event-id]").count() == 100


def test_an_acknowledged_alarm_stays_acknowledged_after_a_reload(dashboard):
    page, server = dashboard
    alarms = [item(5, urgent=True), item(6, light="red"), item(4, urgent=True)]
    page.open(snapshot(10, alarms=alarms, open_events=alarms))
    go_live(page, server, 10)
    shown = "Array.from(document.querySelectorAll('#alarms li'), (li) => Number(li.dataset.eventId))"
    assert js(page, shown) == [5, 6, 4]  # as the snapshot lists them: the latest changed first
    page.click('#alarms li[data-event-id="5"] .alarm-ack')
    assert page.locator('#alarms li[data-event-id="5"].acked').count() == 1
    assert js(page, shown) == [6, 4, 5]  # acknowledged ones below the others
    page.reload()
    page.wait_for_function("() => window.dashboard && window.dashboard.snapshots === 1")
    assert page.locator('#alarms li[data-event-id="5"].acked').count() == 1
    assert page.locator("#alarms li.unacked").count() == 2


def test_an_inbox_message_updates_the_badge_and_pings_are_answered(dashboard):
    page, server = dashboard
    page.open(snapshot(10))
    go_live(page, server, 10)
    server.push(
        "notification",
        3,
        {"id": 1, "kind": "urge", "message": "请加快处置", "event_id": 5, "url": "/events/5/", "unread": 4},
    )
    page.wait_for_function("() => document.querySelector('[data-inbox-link] .badge')?.textContent === '4'")
    assert "请加快处置" in page.inner_text("#dash-toast")
    ping_pong(page, server)


def test_an_older_version_of_an_event_never_replaces_a_newer_one(dashboard):
    """With more than one publisher, a push read before a later change may arrive after it."""
    page, server = dashboard
    page.open(snapshot(10, feed=[item(1)], open_events=[item(1)]))
    go_live(page, server, 10)
    newer = {**item(1, light="red"), "updated_at": "2026-11-27T02:00:00.250000+00:00"}
    older = {**item(1, light="green"), "updated_at": "2026-11-27T02:00:00+00:00"}
    server.push("event", 11, newer)
    server.push("event", 12, older)
    page.wait_for_function("() => window.dashboard.lastSeq === 12")
    assert page.get_attribute('#feed li[data-event-id="1"]', "data-light") == "red"
    assert js(page, "window.dashboard.alarmIds()") == [1]


def video(online_huiyan, *, child_online=90):
    """The video panel's figures (counts.video) with the household network at `online_huiyan` of 200."""
    return {
        "total": 1000,
        "online": 700 + online_huiyan,
        "rate": round((700 + online_huiyan) / 1000, 4),
        "child_level": "town",
        "by_network": [
            {"key": "tianwang", "total": 500, "online": 450, "rate": 0.9},
            {"key": "xueliang", "total": 300, "online": 250, "rate": 0.8333},
            {"key": "huiyan", "total": 200, "online": online_huiyan, "rate": online_huiyan / 200},
        ],
        "by_child": [
            {"key": "2", "name": "柳城街道", "total": 100, "online": child_online, "rate": child_online / 100},
            {"key": "3", "name": "公平街道", "total": 900, "online": 610, "rate": 0.6778},
        ],
    }


def test_the_video_panel_follows_the_figures_and_a_camera_push_keeps_the_numbers(dashboard):
    page, server = dashboard
    first = snapshot(10)
    first["counts"]["video"] = video(150)
    page.open(first)
    go_live(page, server, 10)
    assert page.is_visible("#video-panel")
    assert page.inner_text("#vtile-all .stat-n") == "85.0%"
    assert page.inner_text("#vtile-huiyan .stat-n") == "75.0%"
    assert page.inner_text("#vtile-other .stat-n") == "—"  # no camera on that network
    assert page.inner_text("#video-children-title") == "镇（街道）"
    rows = page.locator("#video-children tr").all_inner_texts()
    assert rows[0].split("\t") == ["柳城街道", "90 / 100", "90.0%"]
    assert page.locator("#video-children .rate-low").count() == 1  # 公平街道 at 67.8 %
    # Cameras went offline: a numbered push on the stream (no gap after it), then the figures.
    server.push("camera", 11, {"center_id": 1, "changed": 10, "to": {"offline": 10}})
    server.push("event", 12, item(5))
    ping_pong(page, server)
    assert js(page, "window.dashboard.lastSeq") == 12 and js(page, "window.dashboard.held()") == 0
    later = snapshot(0)["counts"]
    later["video"] = video(140, child_online=80)
    server.push("counts", 12, later)
    page.wait_for_function("() => document.querySelector('#vtile-huiyan .stat-n').textContent === '70.0%'")
    assert page.inner_text("#vtile-all .stat-n") == "84.0%"
    assert page.locator("#video-children tr").first.inner_text().split("\t")[1] == "80 / 100"
    assert js(page, "window.dashboard.snapshots") == 1  # no resync was needed
    if os.environ.get("SCREENSHOT_DIR"):  # to look at the panel: 1440 px, then 375 px
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/dashboard-video-1440.png", full_page=True)
        page.set_viewport_size({"width": 375, "height": 812})
        page.locator("#video-panel").screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/dashboard-video-375.png")
