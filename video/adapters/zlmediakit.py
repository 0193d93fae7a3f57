"""ZLMediaKit: its HTTP API (`/index/api/getMediaList`, `isMediaOnline`, `getSnap`, with the
server's `secret`), HLS at `<hls>/<app>/<stream>/hls.m3u8`, plays authorised by its on_play hook
(video.hooks.zlm_on_play, `?token=` in `params`). A stream is listed once per protocol (rtmp, rtsp,
hls …): they are merged; one whose `bytesSpeed` is 0 is publishing but stalled."""

from __future__ import annotations

from .base import AdapterError, MediaAdapter, StreamHealth

APP = "live"
CODECS = {"H264": "h264", "H265": "h265", "HEVC": "h265", "VP9": "vp9", "AV1": "av1"}


class ZlmAdapter(MediaAdapter):
    kind = "zlmediakit"

    def _api(self, name: str, **params):
        body = self.fetch_json(
            "GET",
            f"{self.server.api_url.rstrip('/')}/index/api/{name}",
            params={"secret": self.server.secret, **params},
        )
        if not isinstance(body, dict) or body.get("code") != 0:
            raise AdapterError(f"ZLMediaKit {name}: {body.get('msg') if isinstance(body, dict) else body!r}")
        return body

    def streams(self) -> dict[str, StreamHealth]:
        body = self._api("getMediaList")
        merged: dict[str, dict] = {}
        for item in body.get("data") or []:
            name = item.get("stream", "")
            entry = merged.setdefault(name, {"readers": 0, "speed": 0, "codec": ""})
            entry["readers"] = max(entry["readers"], int(item.get("totalReaderCount") or item.get("readerCount") or 0))
            entry["speed"] = max(entry["speed"], int(item.get("bytesSpeed") or 0))
            for track in item.get("tracks") or []:
                if track.get("codec_type") == 0 and not entry["codec"]:
                    entry["codec"] = CODECS.get(str(track.get("codec_id_name", "")).upper(), "")
        return {
            name: StreamHealth(name=name, publishing=True, fresh=e["speed"] > 0, readers=e["readers"], codec=e["codec"])
            for name, e in merged.items()
        }

    def is_online(self, stream: str, *, schema: str = "rtmp") -> bool:
        body = self._api("isMediaOnline", schema=schema, vhost="__defaultVhost__", app=APP, stream=stream)
        return bool(body.get("online"))

    def play_url(self, stream: str, token: str) -> str:
        return f"{self.server.hls_url.rstrip('/')}/{APP}/{stream}/hls.m3u8?token={token}"

    def snapshot(self, stream: str, *, token: str = "") -> bytes:
        """getSnap answers the JPEG itself (or, on failure, a JSON error / its logo)."""
        source = (
            f"{self.server.rtmp_url.rstrip('/')}/{stream}?token={token}"
            if self.server.rtmp_url
            else self.play_url(stream, token)
        )
        response = self.fetch(
            "GET",
            f"{self.server.api_url.rstrip('/')}/index/api/getSnap",
            params={"secret": self.server.secret, "url": source, "timeout_sec": 10, "expire_sec": 1},
        )
        if not response.content.startswith(b"\xff\xd8"):
            raise AdapterError("ZLMediaKit getSnap: no JPEG")
        return response.content
