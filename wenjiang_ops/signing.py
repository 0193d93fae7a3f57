"""Timestamped request signatures, shared by the webhooks other systems call (alarm sources:
`alarms`; the 12345 hotline, both ways: `interop.signing`): plain Python, no Django.

A caller signs each request with a timestamp header (Unix seconds) and a signature header
`sha256=<hex>`, the HMAC-SHA256, keyed by the shared secret, of the timestamp, a dot, and the raw
body. The timestamp bounds a replay to `MAX_SKEW_SECONDS`; within it the same
signature seen twice is a replay (the caller remembers signatures that long)."""

from __future__ import annotations

import hashlib
import hmac

MAX_SKEW_SECONDS = 300
PREFIX = "sha256="


class BadSignature(Exception):
    """Unsigned, stale or badly signed (or, for the caller that remembers signatures, replayed):
    answered 401. The message is the reason: unsigned, timestamp, stale, signature."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now: float) -> int:
    """Checks a request's timestamp and signature; returns the timestamp. Raises BadSignature with
    the reason (messages are English here; the caller translates by `reason`)."""
    if not timestamp or not signature:
        raise BadSignature("unsigned")
    try:
        moment = int(timestamp)
    except ValueError:
        raise BadSignature("timestamp") from None
    if abs(now - moment) > MAX_SKEW_SECONDS:
        raise BadSignature("stale")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise BadSignature("signature")
    return moment
