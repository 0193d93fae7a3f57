"""Per-user rate limits, counted in the cache (Redis): one fixed-window counter per user and rule.

Any app can use it: `hit("intake", user.pk, Limit(10, 3600))` counts one request (`undo` takes it back) and says whether
it is within the limit; `RateLimited` is answered by the API as 429 with `Retry-After` (see
`wenjiang_ops.api.exception_handler`). One Redis round trip per hit (INCR and EXPIRE pipelined).

Why a fixed window: it costs one counter and one round trip, and its `Retry-After` is exact (the
end of the window). Its known weakness — up to twice the limit across a window boundary — is
acceptable for what it guards against (floods of reports), where a sliding window would double
the reads. If the cache is down, requests are let through (and logged): a rate limit must never
stop the reports it protects.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `seconds`."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # hits in the current window, this one included
    retry_after: int  # seconds until the window ends (0 when allowed)
    key: str | None = None  # the counter that was incremented (None: nothing was counted)


class RateLimited(Exception):
    """Too many requests: answered 429 with `Retry-After: retry_after` (seconds)."""

    def __init__(self, retry_after: int, message: str = ""):
        self.retry_after = max(1, int(retry_after))
        self.message = message or _("Too many requests: try again in %(s)d seconds.") % {"s": self.retry_after}
        super().__init__(self.message)


def _window(limit: Limit, now: float) -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    index = int(now // limit.seconds)
    left = math.ceil((index + 1) * limit.seconds - now)
    return index, max(1, left)


NAMESPACE = "rl"  # tests give each test its own


def _key(rule: str, who, index: int) -> str:
    return cache.make_and_validate_key(f"{NAMESPACE}:{rule}:{who}:{index}")


def _client():
    return cache._cache.get_client(None, write=True)  # Django's RedisCache: its pooled redis client


def hit(rule: str, who, limit: Limit | None, *, now: float | None = None) -> Decision:
    """Counts one request of `who` under `rule`. `limit` None means no limit (nothing is counted)."""
    if limit is None:
        return Decision(True, 0, 0)
    now = time.time() if now is None else now
    index, left = _window(limit, now)
    key = _key(rule, who, index)
    try:
        pipe = _client().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, limit.seconds + 1)
        count, _expired = pipe.execute()
    except Exception:  # the cache is down or misconfigured: let the request through
        log.warning("rate limit %s not counted: the cache did not answer", rule, exc_info=True)
        return Decision(True, 0, 0)
    count = int(count)
    if count > limit.count:
        return Decision(False, count, left, key)
    return Decision(True, count, 0, key)


def undo(decision: Decision) -> None:
    """Takes back a counted hit (a request that turned out not to count, e.g. an idempotent retry)."""
    if decision.key is None:
        return
    try:
        _client().decr(decision.key)
    except Exception:
        log.warning("a rate-limit hit could not be taken back", exc_info=True)
