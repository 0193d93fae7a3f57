"""MediaMTX: paths listed by its v3 API (`/v3/paths/list`), HLS at `<hls>/<path>/index.m3u8`, plays
authorised by its `authMethod: http` hook (video.hooks.mediamtx_auth, with `?token=`). Field names
changed across versions: `ready` → `available` / `online`, `tracks` (names) → `tracks2` (objects);
both are read."""

from __future__ import annotations

from .base import AdapterError, MediaAdapter, StreamHealth
from .ffmpeg import grab_frame

CODECS = {"h264": "h264", "h265": "h265", "hevc": "h265", "vp9": "vp9", "av1": "av1"}


def _codec(item: dict) -> str:
    names = [t.get("codec", "") for t in item.get("tracks2") or [] if isinstance(t, dict)]
    names += [t for t in item.get("tracks") or [] if isinstance(t, str)]
    for name in names:
        codec = CODECS.get(name.lower().replace(".", "").replace("-", ""))
        if codec:
            return codec
    return ""


def _ready(item: dict) -> bool:
    for key in ("online", "available", "ready"):
        if key in item:
            return bool(item[key])
    return False


class MediaMtxAdapter(MediaAdapter):
    kind = "mediamtx"

    def streams(self) -> dict[str, StreamHealth]:
        base = self.server.api_url.rstrip("/")
        out: dict[str, StreamHealth] = {}
        page, pages = 0, 1
        while page < pages:
            body = self.fetch_json("GET", f"{base}/v3/paths/list", params={"page": page, "itemsPerPage": 1000})
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise AdapterError("MediaMTX: an unexpected paths list")
            for item in body["items"]:
                name = item.get("name", "")
                ready = _ready(item)
                # A ready path whose bytesReceived does not move is caught by the poller's history;
                # MediaMTX itself drops a source that stops sending (its readTimeout).
                out[name] = StreamHealth(
                    name=name, publishing=ready, fresh=None, readers=len(item.get("readers") or []), codec=_codec(item)
                )
            pages = int(body.get("pageCount") or 1)
            page += 1
        return out

    def play_url(self, stream: str, token: str) -> str:
        return f"{self.server.hls_url.rstrip('/')}/{stream}/index.m3u8?token={token}"

    def snapshot(self, stream: str, *, token: str = "") -> bytes:
        return grab_frame(self.play_url(stream, token))
