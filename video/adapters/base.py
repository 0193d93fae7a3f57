"""The media-server adapter interface and the plain records it answers with."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

TIMEOUT = 5


class AdapterError(Exception):
    """The media server could not be reached, or answered what the adapter cannot read."""


@dataclass(frozen=True)
class ServerInfo:
    kind: str
    slug: str
    api_url: str = ""
    rtmp_url: str = ""
    hls_url: str = ""
    hls_dir: str = ""
    secret: str = ""

    @classmethod
    def of(cls, server) -> ServerInfo:
        return cls(
            kind=server.kind,
            slug=server.slug,
            api_url=server.api_url,
            rtmp_url=server.rtmp_url,
            hls_url=server.hls_url,
            hls_dir=server.hls_dir,
            secret=server.secret,
        )


@dataclass(frozen=True)
class StreamHealth:
    """What a server says of one stream. `publishing`: a source is pushing it; `fresh`: its newest
    segment is recent (None: the server cannot tell); online = publishing and not stale."""

    name: str
    publishing: bool
    fresh: bool | None = None
    segment_age: float | None = None
    readers: int = 0
    codec: str = ""

    @property
    def online(self) -> bool:
        return self.publishing and self.fresh is not False

    @property
    def status(self) -> str:
        if not self.publishing:
            return "offline"
        return "stalled" if self.fresh is False else "online"


@dataclass(frozen=True)
class ChannelInfo:
    """A channel in a platform's list (wvp): what the registry imports."""

    code: str
    name: str
    device_code: str = ""
    lat: float | None = None
    lng: float | None = None
    online: bool = False
    ptz: bool = False
    address: str = ""
    extra: dict = field(default_factory=dict)


Fetch = Callable[..., Any]  # (method, url, **kwargs) -> Response-like (status_code, content, json())


def http_fetch(method: str, url: str, **kwargs):
    try:
        return requests.request(method, url, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs)
    except requests.RequestException as exc:
        raise AdapterError(f"{url}: {exc}") from None


class MediaAdapter:
    """One media server. Subclasses implement what their server can do; what it cannot raises
    NotImplementedError (e.g. a channel list from nginx-rtmp)."""

    kind = ""
    # Whether the server asks a hook before every play (so a token can be refused by the server).
    checks_play_tokens = True

    def __init__(self, server: ServerInfo, *, fetch: Fetch | None = None):
        self.server = server
        self._fetch = fetch or http_fetch

    def fetch(self, method: str, url: str, **kwargs):
        response = self._fetch(method, url, **kwargs)
        if getattr(response, "status_code", 200) >= 400:
            raise AdapterError(f"{url}: HTTP {response.status_code}")
        return response

    def fetch_json(self, method: str, url: str, **kwargs) -> Any:
        response = self.fetch(method, url, **kwargs)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise AdapterError(f"{url}: not JSON") from None

    # --- the interface --------------------------------------------------------------------------

    def streams(self) -> dict[str, StreamHealth]:
        """Every stream the server carries now, by name."""
        raise NotImplementedError

    def health(self, stream: str) -> StreamHealth:
        return self.streams().get(stream) or StreamHealth(name=stream, publishing=False)

    def play_url(self, stream: str, token: str) -> str:
        """The token-bearing HLS URL a browser plays."""
        base = self.server.hls_url.rstrip("/")
        return f"{base}/{token}/{stream}/index.m3u8"

    def snapshot(self, stream: str, *, token: str = "") -> bytes:
        """One JPEG frame of a live stream."""
        raise NotImplementedError

    def channels(self) -> list[ChannelInfo]:
        """The channels a platform lists (wvp); plain media servers have none."""
        raise NotImplementedError
