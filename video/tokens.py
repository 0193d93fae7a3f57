"""Play tokens: short-lived, HMAC-signed, checked by the media server itself (through its play hook
or nginx's auth_request) without touching the database.

A token is `<viewing>.<expiry>.<signature>`:
  viewing    the Viewing's id, 32 hex digits (the audit row this play belongs to)
  expiry     Unix seconds, base 36
  signature  the first 32 characters of base64url(HMAC-SHA256(key, "video-play|server|stream|viewing|expiry"))
The key is VIDEO_TOKEN_KEY (default: derived from SECRET_KEY). It travels in the URL's path
(`<hls base>/<token>/<stream>/index.m3u8`), so a playlist's relative segment URLs carry it too; an
RTMP play carries it as `?token=`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from django.conf import settings

TOKEN_RE = re.compile(r"^([0-9a-f]{32})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{32})$")
# An HLS request as nginx sees it: /<prefix>/<token>/<stream>/<file>.m3u8|.ts
HLS_URI_RE = re.compile(
    r"^/(?:[A-Za-z0-9_-]+/)*?([0-9a-f]{32}\.[0-9a-z]{1,10}\.[A-Za-z0-9_-]{32})/([A-Za-z0-9][A-Za-z0-9_.-]{0,99})/[A-Za-z0-9_.-]+\.(?:m3u8|ts|m4s|mp4)$"
)


def _key() -> bytes:
    key = getattr(settings, "VIDEO_TOKEN_KEY", "") or ("video-play-token:" + settings.SECRET_KEY)
    return hashlib.sha256(key.encode()).digest()


def ttl_seconds() -> int:
    return int(getattr(settings, "VIDEO_TOKEN_TTL", 120))


def _signature(server: str, stream: str, viewing: str, expiry: str) -> str:
    message = f"video-play|{server}|{stream}|{viewing}|{expiry}".encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def sign(*, server: str, stream: str, viewing: str, expires: int) -> str:
    """A token for `stream` on `server` (a MediaServer's slug) for viewing `viewing` (32 hex), valid
    until the Unix time `expires`."""
    expiry = _base36(int(expires))
    return f"{viewing}.{expiry}.{_signature(server, stream, viewing, expiry)}"


@dataclass(frozen=True)
class Checked:
    viewing: str
    expires: int


def check(token: str, *, server: str, stream: str, now: float | None = None) -> Checked | None:
    """The token's viewing and expiry when it is valid for `stream` on `server` now, else None."""
    match = TOKEN_RE.match(token or "")
    if not match:
        return None
    viewing, expiry, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(server, stream, viewing, expiry)):
        return None
    expires = int(expiry, 36)
    if expires <= (time.time() if now is None else now):
        return None
    return Checked(viewing=viewing, expires=expires)


def check_hls_uri(uri: str, *, server: str, now: float | None = None) -> Checked | None:
    """Checks the token inside an HLS request's URI (nginx's X-Original-URI; its query ignored)."""
    path = (uri or "").split("?", 1)[0]
    if ".." in path:
        return None
    match = HLS_URI_RE.match(path)
    if not match:
        return None
    token, stream = match.groups()
    return check(token, server=server, stream=stream, now=now)
