"""nginx with libnginx-mod-rtmp (the media server that runs here): `/stat` XML for who publishes,
the HLS playlist's age for whether segments still come (nginx-rtmp can report a stream as publishing
for minutes while its HLS produces nothing), hooks on_publish / on_publish_done / on_play
(video.hooks), snapshots by ffmpeg from the token-bearing HLS URL."""

from __future__ import annotations

import os
import time
from email.utils import parsedate_to_datetime

from defusedxml import ElementTree
from django.conf import settings

from .. import tokens
from .base import AdapterError, MediaAdapter, StreamHealth
from .ffmpeg import grab_frame

SYSTEM_VIEWING = "0" * 32  # the token of the platform's own checks (health, snapshot without a play)


def stale_after() -> float:
    """A playlist older than this (seconds) is stalled: a few segment durations."""
    return float(getattr(settings, "VIDEO_SEGMENT_STALE_SECONDS", 10))


def parse_stat(xml: bytes | str) -> dict[str, dict]:
    """nginx-rtmp's /stat: stream name → {publishing, readers, codec, app}."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise AdapterError(f"/stat is not XML: {exc}") from None
    streams: dict[str, dict] = {}
    for application in root.iter("application"):
        app = application.findtext("name", "")
        for stream in application.iter("stream"):
            name = stream.findtext("name", "")
            if not name:
                continue
            clients = stream.findall("client")
            codec = (stream.findtext("meta/video/codec") or "").lower().replace(".", "")
            streams[name] = {
                "app": app,
                "publishing": stream.find("publishing") is not None,
                # Nothing received for a while by a stream that has been up for more than 10 s.
                "silent": int(stream.findtext("bw_in") or 0) == 0 and int(stream.findtext("time") or 0) > 10000,
                "readers": sum(1 for c in clients if c.find("publishing") is None),
                "codec": {"h264": "h264", "hevc": "h265", "h265": "h265"}.get(codec, codec),
            }
    return streams


class NginxRtmpAdapter(MediaAdapter):
    kind = "nginx_rtmp"

    def stat_url(self) -> str:
        if self.server.api_url:
            return self.server.api_url
        base = self.server.hls_url.rstrip("/")
        return base.rsplit("/", 1)[0] + "/stat"

    def _token(self, stream: str) -> str:
        return tokens.sign(
            server=self.server.slug, stream=stream, viewing=SYSTEM_VIEWING, expires=int(time.time()) + 60
        )

    def playlist_age(self, stream: str, *, now: float | None = None) -> float | None:
        """Seconds since the stream's playlist was last written: from its file when the HLS directory
        is known, else from the Last-Modified of a HEAD request (with the platform's own token)."""
        now = time.time() if now is None else now
        if self.server.hls_dir:
            try:
                return max(0.0, now - os.stat(os.path.join(self.server.hls_dir, stream, "index.m3u8")).st_mtime)
            except OSError:
                return None
        try:
            response = self.fetch("HEAD", self.play_url(stream, self._token(stream)))
        except AdapterError:
            return None
        modified = response.headers.get("Last-Modified")
        if not modified:
            return None
        return max(0.0, now - parsedate_to_datetime(modified).timestamp())

    def streams(self) -> dict[str, StreamHealth]:
        stat = parse_stat(self.fetch("GET", self.stat_url()).content)
        out = {}
        for name, seen in stat.items():
            age = self.playlist_age(name) if seen["publishing"] else None
            if seen["publishing"] and seen["silent"]:
                fresh = False
            elif age is None and not self.server.hls_dir:
                fresh = None  # the playlist could not be asked: /stat alone decides
            else:
                fresh = age is not None and age <= stale_after()
            out[name] = StreamHealth(
                name=name,
                publishing=seen["publishing"],
                fresh=fresh,
                segment_age=age,
                readers=seen["readers"],
                codec=seen["codec"],
            )
        return out

    def snapshot(self, stream: str, *, token: str = "") -> bytes:
        return grab_frame(self.play_url(stream, token or self._token(stream)))
