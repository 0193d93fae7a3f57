"""Media servers behind one interface (base.MediaAdapter): nginx-rtmp (the one that runs here),
MediaMTX, ZLMediaKit and wvp-GB28181-pro. `adapter_for(server)` picks the class by the server's kind."""

from __future__ import annotations

from .base import AdapterError, ChannelInfo, MediaAdapter, ServerInfo, StreamHealth

__all__ = ["AdapterError", "ChannelInfo", "MediaAdapter", "ServerInfo", "StreamHealth", "adapter_for"]


def adapter_for(server, *, fetch=None) -> MediaAdapter:
    """The adapter of a MediaServer row (or a ServerInfo); `fetch` replaces HTTP in tests."""
    from .mediamtx import MediaMtxAdapter
    from .nginx_rtmp import NginxRtmpAdapter
    from .wvp import WvpAdapter
    from .zlmediakit import ZlmAdapter

    info = server if isinstance(server, ServerInfo) else ServerInfo.of(server)
    classes = {"nginx_rtmp": NginxRtmpAdapter, "mediamtx": MediaMtxAdapter, "zlmediakit": ZlmAdapter, "wvp": WvpAdapter}
    return classes[info.kind](info, fetch=fetch)
