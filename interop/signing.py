"""HMAC-SHA256 signatures with a timestamp, for the 12345 hotline's hand-off in both directions
(docs/hotline-12345.md): `X-Hotline-Timestamp` (Unix seconds) and `X-Hotline-Signature`
("sha256=" + hex of HMAC(secret, timestamp + "." + raw body))."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
MAX_SKEW_SECONDS = 300


class BadSignature(Exception):
    """Unsigned, stale or forged (answered 401 with the message)."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign `body` now."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def verify(secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None) -> None:
    """Raises BadSignature unless `signature` signs `body` at `timestamp`, within MAX_SKEW_SECONDS of now."""
    if not secret:
        raise BadSignature("The hotline hand-off is not configured (HOTLINE_SECRET).")
    if not timestamp or not signature:
        raise BadSignature(f"Unsigned request: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.")
    try:
        ts = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
    if abs((time.time() if now is None else now) - ts) > MAX_SKEW_SECONDS:
        raise BadSignature(f"Stale request: the timestamp is more than {MAX_SKEW_SECONDS} s from the server's clock.")
    expected = sign(secret, body, ts)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature.strip()):
        raise BadSignature("Bad signature.")
