"""The player component (static/video/player.js) in Chromium against a real nginx-rtmp and real ffmpeg
cameras: it plays (the video's currentTime advances), shows a camera taken off the air as offline and
plays it again when it returns, and keeps its viewing alive. The platform's play API is stood in for by a
small server here (this test is about the player; the pages' tests use the real API)."""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path

import pytest

from tests.processes import wait_until

from .conftest import needs_media

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "static"

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<div class="tile" id="tile"><video muted playsinline></video></div>
<script src="/static/vendor/hls/hls.light.min.js"></script>
<script src="/static/video/player.js"></script>
<script src="/harness.js"></script>
</body></html>"""

HARNESS = """window.player = new VideoPlayer(document.getElementById("tile"),
  {purpose: "patrol", stallSeconds: 4, offlineRetrySeconds: 1, heartbeatSeconds: 1});
window.player.play(document.location.hash.slice(1));"""


class FakePlatform(http.server.BaseHTTPRequestHandler):
    """Static files, and the play/heartbeat/end API answering with the media server's URL."""

    hls_base = ""
    calls: list[tuple[str, str]] = []

    def do_GET(self):
        if self.path == "/":
            return self._send(200, PAGE.encode(), "text/html; charset=utf-8")
        if self.path == "/harness.js":
            return self._send(200, HARNESS.encode(), "text/javascript")
        if self.path.startswith("/static/"):
            file = (STATIC / self.path[len("/static/") :]).resolve()
            if STATIC in file.parents and file.is_file():
                return self._send(200, file.read_bytes(), "text/javascript")
        self._send(404, b"", "text/plain")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        FakePlatform.calls.append(("POST", self.path))
        match = re.fullmatch(r"/api/cameras/([a-z0-9-]+)/play/", self.path)
        if match:
            body = {"url": f"{self.hls_base}/{'0' * 32}.x.{'s' * 32}/{match[1]}/index.m3u8", "viewing": "v-" + match[1]}
            return self._send(200, json.dumps(body).encode(), "application/json")
        self._send(204, b"", "text/plain")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def platform(bare_media):
    server, cameras = bare_media
    FakePlatform.hls_base = server.config.hls_url
    FakePlatform.calls = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", cameras
    httpd.shutdown()


def current_time(page) -> float:
    return page.evaluate("document.querySelector('#tile video').currentTime")


def wait_state(page, state: str, timeout: float = 20_000):
    page.wait_for_selector(f"#tile[data-state='{state}']", timeout=timeout)


def wait_advancing(page, timeout: float = 20_000):
    """Until the video's currentTime has moved on by a second from now."""
    start = current_time(page)
    page.wait_for_function(
        f"document.querySelector('#tile video').currentTime > {start} + 1", timeout=timeout, polling=200
    )


@needs_media
def test_player_plays_goes_offline_and_recovers(platform, chromium):
    url, cameras = platform
    cameras.start("cam-a", "测试摄像机 A")
    page = chromium.new_page()
    page.goto(f"{url}/#cam-a")
    wait_state(page, "playing")
    wait_advancing(page)
    assert ("POST", "/api/cameras/cam-a/play/") in FakePlatform.calls
    wait_until(lambda: ("POST", "/api/viewings/v-cam-a/heartbeat/") in FakePlatform.calls, 10, what="a heartbeat")

    # Off the air: nginx-rtmp drops the stream's playlist; the tile says so and keeps asking.
    cameras.stop("cam-a")
    wait_state(page, "offline", timeout=30_000)
    frozen = current_time(page)
    assert page.inner_text("#tile .vp-overlay")

    # Back on the air: the same tile plays again, without a reload of the page.
    cameras.start("cam-a", "测试摄像机 A")
    wait_state(page, "playing", timeout=30_000)
    wait_advancing(page)
    assert page.evaluate("document.querySelector('#tile').dataset.camera") == "cam-a"
    assert frozen >= 0
    page.evaluate("window.player.stop()")
    wait_until(lambda: ("POST", "/api/viewings/v-cam-a/end/") in FakePlatform.calls, 10, what="the viewing's end")


@needs_media
def test_a_stalled_tile_reloads_itself_with_a_fresh_play_and_plays_on(platform, chromium):
    """A stream that still "publishes" but sends nothing (ffmpeg frozen): the tile makes no progress,
    reloads itself (a new play: a fresh token) and plays again once the stream moves."""
    import os
    import signal

    url, cameras = platform
    publisher = cameras.start("cam-b", "测试摄像机 B")
    page = chromium.new_page()
    page.goto(f"{url}/#cam-b")
    wait_state(page, "playing")
    wait_advancing(page)
    plays = FakePlatform.calls.count(("POST", "/api/cameras/cam-b/play/"))

    os.killpg(publisher.process.pid, signal.SIGSTOP)
    try:
        wait_until(
            lambda: FakePlatform.calls.count(("POST", "/api/cameras/cam-b/play/")) > plays,
            20,
            what="the stalled tile asking for a new play",
        )
    finally:
        os.killpg(publisher.process.pid, signal.SIGCONT)
    if not wait_until(lambda: True, 1) or not publisher.running:  # nginx may have dropped the idle publisher
        cameras.start("cam-b", "测试摄像机 B")
    wait_state(page, "playing", timeout=40_000)
    wait_advancing(page, timeout=30_000)
