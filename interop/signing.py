"""HMAC-SHA256 signatures with a timestamp, for the 12345 hotline's hand-off in both directions
(docs/hotline-12345.md): `X-Hotline-Timestamp` (Unix seconds) and `X-Hotline-Signature`
("sha256=" + hex of HMAC(secret, timestamp + "." + raw body))."""

from __future__ import annotations

import time

from wenjiang_ops import signing

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
MAX_SKEW_SECONDS = signing.MAX_SKEW_SECONDS
# What the hotline is told for each reason of wenjiang_ops.signing.
_MESSAGES = {
    "unsigned": f"Unsigned request: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.",
    "timestamp": f"{TIMESTAMP_HEADER} must be Unix seconds.",
    "stale": f"Stale request: the timestamp is more than {MAX_SKEW_SECONDS} s from the server's clock.",
    "signature": "Bad signature.",
}


class BadSignature(Exception):
    """Unsigned, stale or forged (answered 401 with the message)."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign `body` now."""
    ts = str(int(time.time() if timestamp is None else timestamp))
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signing.sign(secret, ts, body)}


def verify(secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None) -> None:
    """Raises BadSignature unless `signature` signs `body` at `timestamp`, within MAX_SKEW_SECONDS of now."""
    if not secret:
        raise BadSignature("The hotline hand-off is not configured (HOTLINE_SECRET).")
    try:
        signing.verify(secret, timestamp, signature, body, now=time.time() if now is None else now)
    except signing.BadSignature as exc:
        raise BadSignature(_MESSAGES[str(exc)]) from None
