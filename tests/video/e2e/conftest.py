"""Live video end to end: a real media server (Debian's nginx with libnginx-mod-rtmp, started by the test
on free loopback ports), ffmpeg test-pattern cameras publishing into it, and Debian's Chromium (never a
browser download) playing HLS through hls.js. Everything started here is ended here."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.processes import free_port
from video.runtime.nginx import NGINX, RTMP_MODULE, MediaServer, MediaServerConfig
from video.runtime.streams import FFMPEG, Publisher, TestPattern

CHROMIUM = "/usr/bin/chromium"
# What works headless here (../shared/research/video.md): autoplay without a gesture, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

needs_media = pytest.mark.skipif(
    not (Path(NGINX).exists() and Path(RTMP_MODULE).exists() and Path(FFMPEG).exists() and Path(CHROMIUM).exists()),
    reason="nginx-light, libnginx-mod-rtmp, ffmpeg and chromium are needed (make test installs them)",
)


@pytest.fixture(autouse=True)
def video_round_the_clock():
    """Replaces tests/video's fixture of that name: it opens the rolled-back test transaction, and these
    tests commit what the server processes they start must read."""


@pytest.fixture(autouse=True)
def video_media_in_tmp():
    """Replaces tests/video's fixture of that name: the server process writes the files (snapshots) under
    the MEDIA_ROOT the stack gives it, and this process reads them there."""


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Cameras:
    """ffmpeg test patterns publishing into one media server; `stop`/`start` one to take it off the air."""

    def __init__(self, server: MediaServer) -> None:
        self.server = server
        self.publishers: dict[str, Publisher] = {}

    def start(self, stream: str, label: str = "", wait: bool = True) -> Publisher:
        publisher = self.publishers.get(stream) or Publisher(
            TestPattern(stream, label or stream, width=160, height=90, fps=10, bitrate_k=80),
            self.server.config.rtmp_url,
            self.server.run_dir,
        )
        self.publishers[stream] = publisher
        publisher.start()
        if wait:
            self.wait_live(stream)
        return publisher

    def wait_live(self, stream: str, timeout: float = 20) -> None:
        """Until the stream's playlist lists two segments (a player can start on it)."""
        playlist = self.server.playlist(stream)
        deadline = time.monotonic() + timeout
        while not (playlist.exists() and playlist.read_text().count(".ts") >= 2):
            publisher = self.publishers[stream]
            assert publisher.running, f"ffmpeg for {stream} exited: {publisher.errors()}"
            assert time.monotonic() < deadline, f"{stream} made no HLS in {timeout} s:\n{self.server.error_log()}"
            time.sleep(0.1)

    def stop(self, stream: str) -> None:
        self.publishers[stream].stop()

    def stop_all(self) -> None:
        for publisher in self.publishers.values():
            publisher.stop()


def media_server(auth_url: str = "", hook_base: str = "") -> MediaServer:
    config = MediaServerConfig(rtmp_port=free_port(), http_port=free_port(), auth_url=auth_url, hook_base=hook_base)
    return MediaServer(config)


@pytest.fixture
def bare_media():
    """A media server with no hooks and no token check, and its cameras: for the player itself."""
    server = media_server().start()
    cameras = Cameras(server)
    yield server, cameras
    cameras.stop_all()
    server.stop()
    assert not Path(server.run_dir).exists()
